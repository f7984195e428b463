package i18n

import (
	"net/http"
	"strings"

	"paybybank/payment"
)

// sandboxTexts are the texts of the sandbox's pages: the fake banks' own pages and the simulated
// BankID app, which a merchant demos in the shopper's language. In the order of workspaceLangs
// (en, sv, no, fi, da, fr, lt, pt); {name} placeholders are filled by Fill.
var sandboxTexts = map[string][8]string{
	"sandbox.title":           {"{name} (sandbox)", "{name} (sandlåda)", "{name} (sandkasse)", "{name} (testiympäristö)", "{name} (sandkasse)", "{name} (bac à sable)", "{name} (bandomoji aplinka)", "{name} (ambiente de testes)"},
	"sandbox.bank":            {"Sandbox bank · {bank}", "Testbank · {bank}", "Testbank · {bank}", "Testipankki · {bank}", "Testbank · {bank}", "Banque de test · {bank}", "Bandomasis bankas · {bank}", "Banco de testes · {bank}"},
	"sandbox.cannot":          {"Cannot continue", "Det går inte att fortsätta", "Kan ikke fortsette", "Ei voi jatkaa", "Kan ikke fortsætte", "Impossible de continuer", "Tęsti negalima", "Não é possível continuar"},
	"sandbox.pay.heading":     {"Approve this payment?", "Godkänna den här betalningen?", "Godkjenne denne betalingen?", "Hyväksytäänkö tämä maksu?", "Godkend denne betaling?", "Approuver ce paiement ?", "Patvirtinti šį mokėjimą?", "Autorizar este pagamento?"},
	"sandbox.approve":         {"Approve", "Godkänn", "Godkjenn", "Hyväksy", "Godkend", "Approuver", "Patvirtinti", "Autorizar"},
	"sandbox.deny":            {"Deny", "Neka", "Avslå", "Hylkää", "Afvis", "Refuser", "Atmesti", "Recusar"},
	"sandbox.reject":          {"Approve, but the bank rejects it (insufficient funds)", "Godkänn, men banken avvisar den (otillräckligt saldo)", "Godkjenn, men banken avviser den (ikke dekning)", "Hyväksy, mutta pankki hylkää sen (kate ei riitä)", "Godkend, men banken afviser den (manglende dækning)", "Approuver, mais la banque le rejette (provision insuffisante)", "Patvirtinti, bet bankas jį atmeta (nepakanka lėšų)", "Autorizar, mas o banco rejeita (saldo insuficiente)"},
	"sandbox.validate":        {"Validate", "Bekräfta", "Bekreft", "Vahvista", "Bekræft", "Valider", "Patvirtinti", "Validar"},
	"sandbox.confirm":         {"Confirm the payment", "Bekräfta betalningen", "Bekreft betalingen", "Vahvista maksu", "Bekræft betalingen", "Confirmer le paiement", "Patvirtinkite mokėjimą", "Confirmar o pagamento"},
	"sandbox.validate.title":  {"Validate the payment", "Bekräfta betalningen", "Bekreft betalingen", "Vahvista maksu", "Bekræft betalingen", "Valider le paiement", "Patvirtinkite mokėjimą", "Validar o pagamento"},
	"sandbox.allow":           {"Allow {tpp} to initiate a payment from your {bank} account?", "Tillåta {tpp} att starta en betalning från ditt konto hos {bank}?", "Tillate {tpp} å sette i gang en betaling fra kontoen din i {bank}?", "Sallitaanko, että {tpp} käynnistää maksun {bank}-tililtäsi?", "Tillad {tpp} at sætte en betaling i gang fra din konto i {bank}?", "Autoriser {tpp} à initier un paiement depuis votre compte {bank} ?", "Leisti {tpp} inicijuoti mokėjimą iš jūsų {bank} sąskaitos?", "Permitir que {tpp} inicie um pagamento a partir da sua conta {bank}?"},
	"sandbox.consent.heading": {"Share the list of your accounts?", "Dela listan över dina konton?", "Dele listen over kontoene dine?", "Jaetaanko tiliesi luettelo?", "Del listen over dine konti?", "Partager la liste de vos comptes ?", "Bendrinti jūsų sąskaitų sąrašą?", "Partilhar a lista das suas contas?"},
	"sandbox.consent.text":    {"{tpp} asks to see the list of your accounts at {bank}, so that you can choose the one to pay from: their names and numbers only, no balances or transactions.", "{tpp} ber att få se listan över dina konton hos {bank}, så att du kan välja det konto du betalar från: bara deras namn och nummer, inga saldon eller transaktioner.", "{tpp} ber om å se listen over kontoene dine i {bank}, slik at du kan velge kontoen du betaler fra: bare navn og nummer, ingen saldoer eller transaksjoner.", "{tpp} pyytää nähdä luettelon tileistäsi pankissa {bank}, jotta voit valita tilin, jolta maksat: vain tilien nimet ja numerot, ei saldoja eikä tapahtumia.", "{tpp} beder om at se listen over dine konti i {bank}, så du kan vælge den konto, du betaler fra: kun navne og numre, ingen saldi eller transaktioner.", "{tpp} demande à voir la liste de vos comptes chez {bank}, pour que vous choisissiez celui qui paie : seulement leurs noms et numéros, ni soldes ni opérations.", "{tpp} prašo leisti matyti jūsų sąskaitų sąrašą banke {bank}, kad galėtumėte pasirinkti, iš kurios mokėti: tik pavadinimus ir numerius, be likučių ir operacijų.", "{tpp} pede para ver a lista das suas contas no {bank}, para que escolha a conta de onde paga: apenas nomes e números, sem saldos nem movimentos."},
	"sandbox.consent.for":     {"Shared with", "Delas med", "Deles med", "Jaetaan taholle", "Deles med", "Partagée avec", "Bendrinama su", "Partilhada com"},
	"sandbox.consent.until":   {"Valid until", "Giltigt till", "Gyldig til", "Voimassaolo päättyy", "Gyldig til", "Valable jusqu’au", "Galioja iki", "Válido até"},
	"sandbox.consent.approve": {"Share the list", "Dela listan", "Del listen", "Jaa luettelo", "Del listen", "Partager la liste", "Bendrinti sąrašą", "Partilhar a lista"},
	"sandbox.consent.deny":    {"Do not share", "Dela inte", "Ikke del", "Älä jaa", "Del ikke", "Ne pas partager", "Nebendrinti", "Não partilhar"},

	"sandbox.app.name":             {"BankID · simulated app", "BankID · simulerad app", "BankID · simulert app", "BankID · simuloitu sovellus", "BankID · simuleret app", "BankID · application simulée", "BankID · imituojama programėlė", "BankID · aplicação simulada"},
	"sandbox.app.note":             {"This stands in for the BankID app on the shopper's phone. No real BankID is used.", "Den här sidan ersätter BankID-appen i kundens telefon. Inget riktigt BankID används.", "Denne siden står i stedet for BankID-appen på kundens telefon. Ingen ekte BankID brukes.", "Tämä sivu korvaa ostajan puhelimen BankID-sovelluksen. Oikeaa BankID:tä ei käytetä.", "Denne side træder i stedet for BankID-appen på kundens telefon. Der bruges ikke noget rigtigt BankID.", "Cette page remplace l’application BankID du téléphone de l’acheteur. Aucun vrai BankID n’est utilisé.", "Šis puslapis atstoja BankID programėlę pirkėjo telefone. Tikras BankID nenaudojamas.", "Esta página faz as vezes da aplicação BankID no telemóvel do comprador. Não é usado nenhum BankID real."},
	"sandbox.app.sign.heading":     {"Sign the payment", "Skriv under betalningen", "Signer betalingen", "Allekirjoita maksu", "Underskriv betalingen", "Signer le paiement", "Pasirašyti mokėjimą", "Assinar o pagamento"},
	"sandbox.app.identify.heading": {"Identify yourself", "Identifiera dig", "Identifiser deg", "Tunnistaudu", "Identificér dig", "Identifiez-vous", "Patvirtinkite savo tapatybę", "Identifique-se"},
	"sandbox.app.identify.text":    {"{bank} asks you to identify yourself to share the list of your accounts.", "{bank} ber dig identifiera dig för att dela listan över dina konton.", "{bank} ber deg identifisere deg for å dele listen over kontoene dine.", "{bank} pyytää sinua tunnistautumaan, jotta tiliesi luettelo voidaan jakaa.", "{bank} beder dig identificere dig for at dele listen over dine konti.", "{bank} vous demande de vous identifier pour partager la liste de vos comptes.", "{bank} prašo patvirtinti tapatybę, kad būtų bendrinamas jūsų sąskaitų sąrašas.", "O {bank} pede que se identifique para partilhar a lista das suas contas."},
	"sandbox.app.code":             {"Security code", "Säkerhetskod", "Sikkerhetskode", "Turvakoodi", "Sikkerhedskode", "Code de sécurité", "Saugos kodas", "Código de segurança"},
	"sandbox.app.sign":             {"Sign", "Skriv under", "Signer", "Allekirjoita", "Underskriv", "Signer", "Pasirašyti", "Assinar"},
	"sandbox.app.identify":         {"Identify", "Identifiera", "Identifiser", "Tunnistaudu", "Identificér", "S’identifier", "Patvirtinti tapatybę", "Identificar"},
	"sandbox.app.cancel":           {"Cancel", "Avbryt", "Avbryt", "Peruuta", "Annullér", "Annuler", "Atšaukti", "Cancelar"},
	"sandbox.app.signed":           {"Signed", "Underskrivet", "Signert", "Allekirjoitettu", "Underskrevet", "Signé", "Pasirašyta", "Assinado"},
	"sandbox.app.cancelled":        {"Cancelled", "Avbrutet", "Avbrutt", "Peruttu", "Annulleret", "Annulé", "Atšaukta", "Cancelado"},
	"sandbox.app.back":             {"Go back to the checkout: it has moved on by itself.", "Gå tillbaka till kassan: den har gått vidare av sig själv.", "Gå tilbake til kassen: den har gått videre av seg selv.", "Palaa kassalle: se on jo siirtynyt eteenpäin itsestään.", "Gå tilbage til kassen: den er gået videre af sig selv.", "Revenez à la page de paiement : elle a avancé d’elle-même.", "Grįžkite į atsiskaitymo puslapį: jis jau atsinaujino pats.", "Volte à página de pagamento: ela já avançou sozinha."},
	"sandbox.app.scan.heading":     {"Scan the QR code", "Skanna QR-koden", "Skann QR-koden", "Skannaa QR-koodi", "Scan QR-koden", "Scanner le code QR", "Nuskaitykite QR kodą", "Ler o código QR"},
	"sandbox.app.scan.text":        {"Paste the QR code's content (it starts with {code}), or upload a picture of it.", "Klistra in QR-kodens innehåll (det börjar med {code}) eller ladda upp en bild av den.", "Lim inn innholdet i QR-koden (det begynner med {code}), eller last opp et bilde av den.", "Liitä QR-koodin sisältö (se alkaa {code}) tai lataa kuva koodista.", "Indsæt QR-kodens indhold (det begynder med {code}), eller upload et billede af den.", "Collez le contenu du code QR (il commence par {code}) ou envoyez-en une photo.", "Įklijuokite QR kodo turinį (jis prasideda {code}) arba įkelkite jo nuotrauką.", "Cole o conteúdo do código QR (começa por {code}) ou carregue uma fotografia dele."},
	"sandbox.app.scan.payload":     {"QR code content", "QR-kodens innehåll", "Innholdet i QR-koden", "QR-koodin sisältö", "QR-kodens indhold", "Contenu du code QR", "QR kodo turinys", "Conteúdo do código QR"},
	"sandbox.app.scan.picture":     {"or a picture of the QR code", "eller en bild av QR-koden", "eller et bilde av QR-koden", "tai kuva QR-koodista", "eller et billede af QR-koden", "ou une photo du code QR", "arba QR kodo nuotrauka", "ou uma fotografia do código QR"},
	"sandbox.app.scan.button":      {"Scan", "Skanna", "Skann", "Skannaa", "Scan", "Scanner", "Nuskaityti", "Ler"},
	"sandbox.app.err.upload":       {"Could not read the upload.", "Det gick inte att läsa den uppladdade filen.", "Kunne ikke lese den opplastede filen.", "Ladattua tiedostoa ei voitu lukea.", "Den uploadede fil kunne ikke læses.", "Impossible de lire le fichier envoyé.", "Nepavyko perskaityti įkelto failo.", "Não foi possível ler o ficheiro carregado."},
	"sandbox.app.err.empty":        {"Paste the QR code's content or upload a picture of it.", "Klistra in QR-kodens innehåll eller ladda upp en bild av den.", "Lim inn innholdet i QR-koden eller last opp et bilde av den.", "Liitä QR-koodin sisältö tai lataa kuva koodista.", "Indsæt QR-kodens indhold, eller upload et billede af den.", "Collez le contenu du code QR ou envoyez-en une photo.", "Įklijuokite QR kodo turinį arba įkelkite jo nuotrauką.", "Cole o conteúdo do código QR ou carregue uma fotografia dele."},
	"sandbox.app.err.noqr":         {"No QR code found in the picture.", "Ingen QR-kod hittades i bilden.", "Fant ingen QR-kode i bildet.", "Kuvasta ei löytynyt QR-koodia.", "Der blev ikke fundet nogen QR-kode i billedet.", "Aucun code QR trouvé sur la photo.", "Nuotraukoje QR kodo nerasta.", "Não foi encontrado nenhum código QR na fotografia."},
	"sandbox.app.err.order":        {"This is not a BankID order waiting for you: scan the QR code the checkout shows now.", "Det här är ingen BankID-order som väntar på dig: skanna QR-koden som kassan visar nu.", "Dette er ingen BankID-ordre som venter på deg: skann QR-koden kassen viser nå.", "Tämä ei ole sinua odottava BankID-tilaus: skannaa kassan nyt näyttämä QR-koodi.", "Dette er ikke en BankID-ordre, der venter på dig: scan den QR-kode, kassen viser nu.", "Ce n’est pas une demande BankID en attente : scannez le code QR que la page de paiement affiche maintenant.", "Tai ne jūsų laukiantis BankID užsakymas: nuskaitykite QR kodą, kurį dabar rodo atsiskaitymo puslapis.", "Este não é um pedido BankID à sua espera: leia o código QR que a página de pagamento mostra agora."},
}

func init() { merge(sandboxTexts) }

// ForRequest is the localizer for a page that knows nothing of the shopper but their browser:
// the sandbox's banks and BankID app, as a real bank's site does.
func ForRequest(r *http.Request) *Localizer { return New("", r.Header.Get("Accept-Language")) }

// Fill returns the text for key with its {name} placeholders replaced, given as name, value pairs.
func (l *Localizer) Fill(key string, pairs ...string) string {
	text := l.T(key)
	for i := 0; i+1 < len(pairs); i += 2 {
		text = strings.ReplaceAll(text, "{"+pairs[i]+"}", pairs[i+1])
	}
	return text
}

// Amount formats a decimal amount as a bank sends it ("1249.50", "SEK") the way Money does
// ("1 249,50 SEK"); an amount that does not parse is shown as given.
func (l *Localizer) Amount(decimal, currency string) string {
	minor, err := payment.ParseAmount(decimal, currency)
	if err != nil {
		return decimal + "\u00a0" + currency
	}
	return l.Money(minor, currency)
}
