package i18n

import (
	"strings"
	"time"
)

// shopperTexts are the checkout's texts added with the receipt, the return to the shop by itself,
// the sandbox banner and the account form's field errors, in the order of workspaceLangs
// (en, sv, no, fi, da, fr, lt, pt). A field error's key is "field." + payment.FieldError.Code; its
// {name} placeholders are filled from the error's Args.
var shopperTexts = map[string][8]string{
	"sandbox.banner":     {"Sandbox: no real money moves.", "Sandlåda: inga riktiga pengar flyttas.", "Sandkasse: ingen ekte penger flyttes.", "Testiympäristö: oikeaa rahaa ei siirry.", "Sandkasse: ingen rigtige penge flyttes.", "Bac à sable : aucun argent réel n’est transféré.", "Bandomoji aplinka: tikri pinigai nepervedami.", "Ambiente de testes: não se movimenta dinheiro real."},
	"receipt.label":      {"Receipt", "Kvitto", "Kvittering", "Kuitti", "Kvittering", "Reçu", "Kvitas", "Recibo"},
	"receipt.bank":       {"Bank", "Bank", "Bank", "Pankki", "Bank", "Banque", "Bankas", "Banco"},
	"receipt.when":       {"Date and time", "Datum och tid", "Dato og tid", "Päivämäärä ja aika", "Dato og tidspunkt", "Date et heure", "Data ir laikas", "Data e hora"},
	"receipt.id":         {"Payment ID", "Betalnings-ID", "Betalings-ID", "Maksun tunnus", "Betalings-ID", "Identifiant du paiement", "Mokėjimo ID", "ID do pagamento"},
	"result.auto_return": {"Returning to the shop in {n} s.", "Tillbaka till butiken om {n} s.", "Tilbake til butikken om {n} s.", "Palataan kauppaan {n} s kuluttua.", "Tilbage til butikken om {n} s.", "Retour à la boutique dans {n} s.", "Grįžtama į parduotuvę po {n} s.", "Regresso à loja dentro de {n} s."},

	"field.iban":                {"This IBAN is not valid. Please check it.", "IBAN-numret är inte giltigt. Kontrollera det.", "IBAN-nummeret er ikke gyldig. Kontroller det.", "IBAN-tilinumero ei ole kelvollinen. Tarkista se.", "IBAN-nummeret er ikke gyldigt. Kontrollér det.", "Cet IBAN n’est pas valide. Veuillez le vérifier.", "Šis IBAN neteisingas. Patikrinkite jį.", "Este IBAN não é válido. Verifique-o."},
	"field.required":            {"Please enter your account.", "Fyll i ditt konto.", "Fyll inn kontoen din.", "Anna tilisi tiedot.", "Udfyld din konto.", "Veuillez saisir votre compte.", "Įveskite savo sąskaitą.", "Introduza a sua conta."},
	"field.choose":              {"Please choose one of your accounts.", "Välj ett av dina konton.", "Velg en av kontoene dine.", "Valitse yksi tileistäsi.", "Vælg en af dine konti.", "Veuillez choisir l’un de vos comptes.", "Pasirinkite vieną iš savo sąskaitų.", "Escolha uma das suas contas."},
	"field.digits":              {"The account number may only contain digits.", "Kontonumret får bara innehålla siffror.", "Kontonummeret kan bare inneholde sifre.", "Tilinumerossa saa olla vain numeroita.", "Kontonummeret må kun indeholde cifre.", "Le numéro de compte ne doit contenir que des chiffres.", "Sąskaitos numeryje gali būti tik skaitmenys.", "O número de conta só pode conter algarismos."},
	"field.check":               {"The check digit does not match. Please check the number.", "Kontrollsiffran stämmer inte. Kontrollera numret.", "Kontrollsifferet stemmer ikke. Kontroller nummeret.", "Tarkistusnumero ei täsmää. Tarkista numero.", "Kontrolcifferet passer ikke. Kontrollér nummeret.", "La clé de contrôle ne correspond pas. Veuillez vérifier le numéro.", "Kontrolinis skaitmuo nesutampa. Patikrinkite numerį.", "O dígito de controlo não confere. Verifique o número."},
	"field.se.clearing":         {"The clearing number has 4 digits (5 for some Swedbank accounts).", "Clearingnumret har 4 siffror (5 för vissa konton hos Swedbank).", "Clearingnummeret har 4 sifre (5 for enkelte kontoer i Swedbank).", "Clearing-numerossa on 4 numeroa (joillakin Swedbankin tileillä 5).", "Clearingnummeret har 4 cifre (5 for visse konti i Swedbank).", "Le numéro de clearing comporte 4 chiffres (5 pour certains comptes Swedbank).", "Kliringo numerį sudaro 4 skaitmenys (kai kurių Swedbank sąskaitų – 5).", "O número de compensação tem 4 algarismos (5 em algumas contas do Swedbank)."},
	"field.se.clearing.unknown": {"We do not recognise this clearing number. Please check it.", "Vi känner inte igen det här clearingnumret. Kontrollera det.", "Vi kjenner ikke igjen dette clearingnummeret. Kontroller det.", "Emme tunnista tätä clearing-numeroa. Tarkista se.", "Vi kender ikke dette clearingnummer. Kontrollér det.", "Nous ne reconnaissons pas ce numéro de clearing. Veuillez le vérifier.", "Šio kliringo numerio neatpažįstame. Patikrinkite jį.", "Não reconhecemos este número de compensação. Verifique-o."},
	"field.se.account.exact":    {"At {bank}, the account number has {digits} digits.", "Hos {bank} har kontonumret {digits} siffror.", "Hos {bank} har kontonummeret {digits} sifre.", "Pankissa {bank} tilinumerossa on {digits} numeroa.", "Hos {bank} har kontonummeret {digits} cifre.", "Chez {bank}, le numéro de compte comporte {digits} chiffres.", "{bank} banke sąskaitos numerį sudaro {digits} skaitmenys.", "No {bank}, o número de conta tem {digits} algarismos."},
	"field.se.account.range":    {"At {bank}, the account number has {min} to {max} digits.", "Hos {bank} har kontonumret {min}–{max} siffror.", "Hos {bank} har kontonummeret {min}–{max} sifre.", "Pankissa {bank} tilinumerossa on {min}–{max} numeroa.", "Hos {bank} har kontonummeret {min}–{max} cifre.", "Chez {bank}, le numéro de compte comporte de {min} à {max} chiffres.", "{bank} banke sąskaitos numerį sudaro nuo {min} iki {max} skaitmenų.", "No {bank}, o número de conta tem de {min} a {max} algarismos."},
	"field.no.account":          {"A Norwegian account number has 11 digits, e.g. 8601 11 17947.", "Ett norskt kontonummer har 11 siffror, t.ex. 8601 11 17947.", "Et norsk kontonummer har 11 sifre, f.eks. 8601 11 17947.", "Norjalaisessa tilinumerossa on 11 numeroa, esim. 8601 11 17947.", "Et norsk kontonummer har 11 cifre, f.eks. 8601 11 17947.", "Un numéro de compte norvégien comporte 11 chiffres, p. ex. 8601 11 17947.", "Norvegijos sąskaitos numerį sudaro 11 skaitmenų, pvz., 8601 11 17947.", "Um número de conta norueguês tem 11 algarismos, p. ex. 8601 11 17947."},
	"field.dk.reg":              {"The registration number has 4 digits.", "Registreringsnumret har 4 siffror.", "Registreringsnummeret har 4 sifre.", "Rekisteröintinumerossa on 4 numeroa.", "Registreringsnummeret har 4 cifre.", "Le numéro d’enregistrement comporte 4 chiffres.", "Registracijos numerį sudaro 4 skaitmenys.", "O número de registo tem 4 algarismos."},
	"field.dk.account":          {"The account number has up to 10 digits.", "Kontonumret har högst 10 siffror.", "Kontonummeret har høyst 10 sifre.", "Tilinumerossa on enintään 10 numeroa.", "Kontonummeret har højst 10 cifre.", "Le numéro de compte comporte au plus 10 chiffres.", "Sąskaitos numerį sudaro ne daugiau kaip 10 skaitmenų.", "O número de conta tem no máximo 10 algarismos."},
}

// dateTimeLayouts write a date and time as each language writes them in numbers.
var dateTimeLayouts = map[string]string{
	"en": "2006-01-02 15:04", "sv": "2006-01-02 15:04", "no": "02.01.2006 kl. 15:04", "fi": "2.1.2006 klo 15.04",
	"da": "02.01.2006 kl. 15.04", "fr": "02/01/2006 15:04", "lt": "2006-01-02 15:04", "pt": "02/01/2006 15:04",
}

// Date writes t's day in the language's numeric form ("2026-11-25", "25.11.2026").
func (l *Localizer) Date(t time.Time) string {
	layout, ok := dateTimeLayouts[l.Lang]
	if !ok {
		layout = dateTimeLayouts["en"]
	}
	day, _, _ := strings.Cut(layout, " ")
	return t.Format(day)
}

// DateTime writes t in the language's numeric form, in t's own time zone, named after it
// ("2026-11-25 14:05 UTC").
func (l *Localizer) DateTime(t time.Time) string {
	layout, ok := dateTimeLayouts[l.Lang]
	if !ok {
		layout = dateTimeLayouts["en"]
	}
	return t.Format(layout + " MST")
}

func init() { merge(shopperTexts) }

// Catalogue returns a copy of the texts of lang ("en", "sv", …), or nil for a language the
// checkout does not have; tests read the English one to find English left in other languages.
func Catalogue(lang string) map[string]string {
	cat, ok := catalogs[lang]
	if !ok {
		return nil
	}
	out := make(map[string]string, len(cat))
	for k, v := range cat {
		out[k] = v
	}
	return out
}
