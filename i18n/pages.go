package i18n

// pagesTexts holds the shopper's texts for the ways on from every checkout page (the banks that
// cannot take a payment, back to the shop, another bank, both ways to start BankID, the time
// left), by language in the order en, sv, no, fi, da, fr, lt, pt; init adds them to the
// catalogues, where the completeness test checks them.
var pagesTexts = map[string][8]string{
	"picker.others":      {"Banks that cannot take this payment (%s)", "Banker som inte kan ta emot den här betalningen (%s)", "Banker som ikke kan ta imot denne betalingen (%s)", "Pankit, jotka eivät voi välittää tätä maksua (%s)", "Banker, der ikke kan modtage denne betaling (%s)", "Banques qui ne peuvent pas traiter ce paiement (%s)", "Bankai, kurie negali priimti šio mokėjimo (%s)", "Bancos que não podem aceitar este pagamento (%s)"},
	"picker.creditor":    {"Cannot pay this shop's account", "Kan inte betala till butikens konto", "Kan ikke betale til butikkens konto", "Ei voi maksaa kaupan tilille", "Kan ikke betale til butikkens konto", "Ne peut pas payer le compte de cette boutique", "Negali mokėti į šios parduotuvės sąskaitą", "Não pode pagar para a conta desta loja"},
	"picker.cannot":      {"Cannot take this payment", "Kan inte ta emot den här betalningen", "Kan ikke ta imot denne betalingen", "Ei voi välittää tätä maksua", "Kan ikke modtage denne betaling", "Ne peut pas traiter ce paiement", "Negali priimti šio mokėjimo", "Não pode aceitar este pagamento"},
	"picker.leave":       {"Cancel and go back to the shop", "Avbryt och gå tillbaka till butiken", "Avbryt og gå tilbake til butikken", "Peruuta ja palaa kauppaan", "Annuller og gå tilbage til butikken", "Annuler et revenir à la boutique", "Atšaukti ir grįžti į parduotuvę", "Cancelar e voltar à loja"},
	"account.change":     {"Choose another bank", "Välj en annan bank", "Velg en annen bank", "Valitse toinen pankki", "Vælg en anden bank", "Choisir une autre banque", "Pasirinkti kitą banką", "Escolher outro banco"},
	"bankid.scan_within": {"Scan within %s s", "Skanna inom %s s", "Skann innen %s s", "Skannaa %s s:n kuluessa", "Scan inden for %s s", "Scannez d’ici %s s", "Nuskaitykite per %s s", "Leia dentro de %s s"},
	"bankid.other.qr":    {"Use BankID on another device (QR code)", "Använd BankID på en annan enhet (QR-kod)", "Bruk BankID på en annen enhet (QR-kode)", "Käytä BankID:tä toisella laitteella (QR-koodi)", "Brug BankID på en anden enhed (QR-kode)", "Utiliser BankID sur un autre appareil (code QR)", "Naudoti BankID kitame įrenginyje (QR kodas)", "Usar o BankID noutro dispositivo (código QR)"},
	"order.time_left":    {"Time left to pay", "Tid kvar att betala", "Tid igjen til å betale", "Aikaa maksaa", "Tid tilbage til at betale", "Temps restant pour payer", "Liko laiko sumokėti", "Tempo restante para pagar"},
}

func init() { merge(pagesTexts) }
