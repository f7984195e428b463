package i18n

// payerTexts holds the texts about the account a payment came from, which a refund goes back to:
// on the workspace's payment page (the account, masked, and the payment's refunds) and on the
// checkout's account page, where a payment the shop wants refundable asks for the account at a
// bank that would not need it. By language in the order en, sv, no, fi, da, fr, lt, pt; init adds
// them to the catalogues.
var payerTexts = map[string][8]string{
	"ws.payment.payer_account": {"Payer’s account", "Betalarens konto", "Betalerens konto", "Maksajan tili", "Betalerens konto", "Compte du payeur", "Mokėtojo sąskaita", "Conta do pagador"},
	"ws.payment.payer_unknown": {
		"Not known: the payment cannot be refunded",
		"Okänt: betalningen kan inte återbetalas",
		"Ukjent: betalingen kan ikke tilbakebetales",
		"Ei tiedossa: maksua ei voi hyvittää",
		"Ukendt: betalingen kan ikke tilbagebetales",
		"Inconnu : le paiement ne peut pas être remboursé",
		"Nežinoma: mokėjimo grąžinti negalima",
		"Desconhecida: o pagamento não pode ser reembolsado"},
	"ws.payment.refunds.none": {"No refunds.", "Inga återbetalningar.", "Ingen tilbakebetalinger.", "Ei hyvityksiä.", "Ingen tilbagebetalinger.", "Aucun remboursement.", "Grąžinimų nėra.", "Nenhum reembolso."},
	"account.refundable": {
		"The shop asks which account you pay from so that it can refund you.",
		"Butiken frågar vilket konto du betalar från så att den kan betala tillbaka till dig.",
		"Butikken spør hvilken konto du betaler fra, slik at den kan betale tilbake til deg.",
		"Kauppa kysyy, miltä tililtä maksat, jotta se voi palauttaa rahat sinulle.",
		"Butikken spørger, hvilken konto du betaler fra, så den kan tilbagebetale dig.",
		"La boutique demande depuis quel compte vous payez afin de pouvoir vous rembourser.",
		"Parduotuvė klausia, iš kurios sąskaitos mokate, kad galėtų jums grąžinti pinigus.",
		"A loja pergunta de que conta paga para o poder reembolsar."},
}

func init() { merge(payerTexts) }
