package i18n

// attemptTexts holds what the shopper reads when an attempt at their bank ended without success:
// the bank choice's heading and actions, and every reason code (payment.Reasons) as
// "reason.<code>", by language in the order en, sv, no, fi, da, fr, lt, pt; init adds them to the
// catalogues, where the completeness test checks them.
var attemptTexts = map[string][8]string{
	"attempt.ended": {
		"Your payment with %s did not go through.", "Din betalning med %s gick inte igenom.", "Betalingen din med %s gikk ikke gjennom.",
		"Maksusi pankilla %s ei mennyt läpi.", "Din betaling med %s blev ikke gennemført.", "Votre paiement avec %s n’a pas abouti.",
		"Jūsų mokėjimas per %s neįvyko.", "O seu pagamento com %s não foi concluído."},
	"attempt.retry": {"Try again", "Försök igen", "Prøv igjen", "Yritä uudelleen", "Prøv igen", "Réessayer", "Bandyti dar kartą", "Tentar novamente"},
	"attempt.other": {"Choose another bank", "Välj en annan bank", "Velg en annen bank", "Valitse toinen pankki", "Vælg en anden bank",
		"Choisir une autre banque", "Pasirinkti kitą banką", "Escolher outro banco"},
	"attempt.account": {"Enter your account", "Ange ditt konto", "Oppgi kontoen din", "Anna tilisi", "Angiv din konto", "Saisir votre compte",
		"Įveskite savo sąskaitą", "Indicar a sua conta"},
	"attempt.change_bank": {"Pay with another bank", "Betala med en annan bank", "Betal med en annen bank", "Maksa toisella pankilla",
		"Betal med en anden bank", "Payer avec une autre banque", "Mokėti per kitą banką", "Pagar com outro banco"},

	"ws.payment.attempts": {"Attempts at banks", "Försök hos banker", "Forsøk i banker", "Yritykset pankeissa", "Forsøg i banker",
		"Tentatives auprès des banques", "Bandymai bankuose", "Tentativas nos bancos"},
	"ws.payment.attempts.none": {"No bank chosen yet.", "Ingen bank vald än.", "Ingen bank valgt ennå.", "Pankkia ei ole vielä valittu.",
		"Ingen bank valgt endnu.", "Aucune banque choisie pour l’instant.", "Bankas dar nepasirinktas.", "Ainda nenhum banco escolhido."},
	"ws.col.outcome":       {"Outcome", "Utfall", "Utfall", "Tulos", "Udfald", "Résultat", "Rezultatas", "Resultado"},
	"ws.col.reason":        {"Reason", "Orsak", "Årsak", "Syy", "Årsag", "Motif", "Priežastis", "Motivo"},
	"ws.outcome.pending":   {"pending", "pågår", "pågår", "käynnissä", "i gang", "en cours", "vyksta", "em curso"},
	"ws.outcome.succeeded": {"succeeded", "lyckades", "lyktes", "onnistui", "lykkedes", "réussie", "pavyko", "concluída"},
	"ws.outcome.failed":    {"failed", "misslyckades", "mislyktes", "epäonnistui", "mislykkedes", "échouée", "nepavyko", "falhada"},
	"ws.outcome.denied":    {"denied", "nekad", "avvist", "hylätty", "afvist", "refusée", "atmesta", "recusada"},
	"ws.outcome.cancelled": {"cancelled", "avbruten", "avbrutt", "peruttu", "annulleret", "annulée", "atšaukta", "cancelada"},
	"ws.outcome.abandoned": {"abandoned", "övergiven", "forlatt", "hylätty kesken", "opgivet", "abandonnée", "nutraukta", "abandonada"},
	"ws.outcome.lost":      {"no answer", "inget svar", "ikke svar", "ei vastausta", "intet svar", "sans réponse", "be atsakymo", "sem resposta"},

	"reason.denied_at_bank": {
		"The payment was declined at your bank. No money has left your account.",
		"Betalningen nekades hos din bank. Inga pengar har dragits från ditt konto.",
		"Betalingen ble avvist i banken din. Ingen penger er trukket fra kontoen din.",
		"Maksu hylättiin pankissasi. Tililtäsi ei ole veloitettu rahaa.",
		"Betalingen blev afvist i din bank. Der er ikke trukket penge fra din konto.",
		"Le paiement a été refusé par votre banque. Aucun argent n’a quitté votre compte.",
		"Mokėjimas atmestas jūsų banke. Iš jūsų sąskaitos pinigai nenuskaičiuoti.",
		"O pagamento foi recusado no seu banco. Não saiu dinheiro da sua conta."},
	"reason.cancelled_at_bank": {
		"The payment was cancelled at your bank. No money has left your account.",
		"Betalningen avbröts hos din bank. Inga pengar har dragits från ditt konto.",
		"Betalingen ble avbrutt i banken din. Ingen penger er trukket fra kontoen din.",
		"Maksu peruutettiin pankissasi. Tililtäsi ei ole veloitettu rahaa.",
		"Betalingen blev annulleret i din bank. Der er ikke trukket penge fra din konto.",
		"Le paiement a été annulé auprès de votre banque. Aucun argent n’a quitté votre compte.",
		"Mokėjimas atšauktas jūsų banke. Iš jūsų sąskaitos pinigai nenuskaičiuoti.",
		"O pagamento foi cancelado no seu banco. Não saiu dinheiro da sua conta."},
	"reason.bankid_cancelled": {
		"You cancelled the payment in the BankID app.", "Du avbröt betalningen i BankID-appen.", "Du avbrøt betalingen i BankID-appen.",
		"Peruutit maksun BankID-sovelluksessa.", "Du annullerede betalingen i BankID-appen.", "Vous avez annulé le paiement dans l’application BankID.",
		"Mokėjimą atšaukėte programėlėje BankID.", "Cancelou o pagamento na aplicação BankID."},
	"reason.bankid_expired": {
		"The BankID app was not started in time. Start the BankID app and scan the QR code again.",
		"BankID-appen startades inte i tid. Starta BankID-appen och läs av QR-koden igen.",
		"BankID-appen ble ikke startet i tide. Start BankID-appen og skann QR-koden på nytt.",
		"BankID-sovellusta ei käynnistetty ajoissa. Käynnistä BankID-sovellus ja lue QR-koodi uudelleen.",
		"BankID-appen blev ikke startet i tide. Start BankID-appen, og scan QR-koden igen.",
		"L’application BankID n’a pas été lancée à temps. Lancez l’application BankID et scannez à nouveau le code QR.",
		"Programėlė BankID nebuvo paleista laiku. Paleiskite BankID ir nuskaitykite QR kodą iš naujo.",
		"A aplicação BankID não foi iniciada a tempo. Inicie a aplicação BankID e leia novamente o código QR."},
	"reason.bankid_failed": {
		"BankID could not sign the payment. Try again, or choose another bank.",
		"BankID kunde inte signera betalningen. Försök igen eller välj en annan bank.",
		"BankID kunne ikke signere betalingen. Prøv igjen, eller velg en annen bank.",
		"BankID ei voinut allekirjoittaa maksua. Yritä uudelleen tai valitse toinen pankki.",
		"BankID kunne ikke underskrive betalingen. Prøv igen, eller vælg en anden bank.",
		"BankID n’a pas pu signer le paiement. Réessayez ou choisissez une autre banque.",
		"BankID nepavyko pasirašyti mokėjimo. Bandykite dar kartą arba pasirinkite kitą banką.",
		"O BankID não conseguiu assinar o pagamento. Tente novamente ou escolha outro banco."},
	"reason.bank_refused_start": {
		"Your bank could not start this payment.", "Din bank kunde inte starta betalningen.", "Banken din kunne ikke starte betalingen.",
		"Pankkisi ei voinut aloittaa tätä maksua.", "Din bank kunne ikke starte betalingen.", "Votre banque n’a pas pu lancer ce paiement.",
		"Jūsų bankas negalėjo pradėti šio mokėjimo.", "O seu banco não conseguiu iniciar este pagamento."},
	"reason.debtor_account_format": {
		"Your bank needs your account number in another form. Enter your account, or choose another bank.",
		"Din bank behöver ditt kontonummer i en annan form. Ange ditt konto eller välj en annan bank.",
		"Banken din trenger kontonummeret ditt i en annen form. Oppgi kontoen din, eller velg en annen bank.",
		"Pankkisi tarvitsee tilinumerosi toisessa muodossa. Anna tilisi tai valitse toinen pankki.",
		"Din bank skal bruge dit kontonummer i en anden form. Angiv din konto, eller vælg en anden bank.",
		"Votre banque a besoin de votre numéro de compte sous une autre forme. Saisissez votre compte ou choisissez une autre banque.",
		"Jūsų bankui reikia sąskaitos numerio kitu formatu. Įveskite savo sąskaitą arba pasirinkite kitą banką.",
		"O seu banco precisa do número da sua conta noutro formato. Indique a sua conta ou escolha outro banco."},
	"reason.rejected_by_bank": {
		"Your bank rejected the payment. No money has left your account.",
		"Din bank avvisade betalningen. Inga pengar har dragits från ditt konto.",
		"Banken din avviste betalingen. Ingen penger er trukket fra kontoen din.",
		"Pankkisi hylkäsi maksun. Tililtäsi ei ole veloitettu rahaa.",
		"Din bank afviste betalingen. Der er ikke trukket penge fra din konto.",
		"Votre banque a rejeté le paiement. Aucun argent n’a quitté votre compte.",
		"Jūsų bankas atmetė mokėjimą. Iš jūsų sąskaitos pinigai nenuskaičiuoti.",
		"O seu banco rejeitou o pagamento. Não saiu dinheiro da sua conta."},
	"reason.authorisation_failed": {
		"Your bank could not complete the approval.", "Din bank kunde inte slutföra godkännandet.", "Banken din kunne ikke fullføre godkjenningen.",
		"Pankkisi ei voinut viedä hyväksyntää loppuun.", "Din bank kunne ikke gennemføre godkendelsen.", "Votre banque n’a pas pu terminer l’approbation.",
		"Jūsų bankas negalėjo užbaigti patvirtinimo.", "O seu banco não conseguiu concluir a aprovação."},
	"reason.bank_no_answer": {
		"Your bank did not answer, so this payment was not started there. Nothing was taken.",
		"Din bank svarade inte, så betalningen startades inte där. Inget har dragits.",
		"Banken din svarte ikke, så betalingen ble ikke startet der. Ingenting er trukket.",
		"Pankkisi ei vastannut, joten maksua ei aloitettu siellä. Mitään ei veloitettu.",
		"Din bank svarede ikke, så betalingen blev ikke startet der. Der er ikke trukket noget.",
		"Votre banque n’a pas répondu : ce paiement n’y a pas été lancé. Rien n’a été prélevé.",
		"Jūsų bankas neatsakė, todėl mokėjimas ten nepradėtas. Nieko nenuskaičiuota.",
		"O seu banco não respondeu, por isso o pagamento não foi iniciado. Nada foi cobrado."},
	"reason.switched_bank": {
		"You chose to pay with another bank.", "Du valde att betala med en annan bank.", "Du valgte å betale med en annen bank.",
		"Valitsit maksaa toisella pankilla.", "Du valgte at betale med en anden bank.", "Vous avez choisi de payer avec une autre banque.",
		"Pasirinkote mokėti per kitą banką.", "Escolheu pagar com outro banco."},
	"reason.cancelled_by_shopper": {
		"You cancelled the payment.", "Du avbröt betalningen.", "Du avbrøt betalingen.", "Peruutit maksun.", "Du annullerede betalingen.",
		"Vous avez annulé le paiement.", "Jūs atšaukėte mokėjimą.", "Cancelou o pagamento."},
	"reason.cancelled_by_merchant": {
		"The shop cancelled the payment.", "Butiken avbröt betalningen.", "Butikken avbrøt betalingen.", "Kauppa peruutti maksun.",
		"Butikken annullerede betalingen.", "La boutique a annulé le paiement.", "Parduotuvė atšaukė mokėjimą.", "A loja cancelou o pagamento."},
	"reason.expired": {
		"The time to pay ran out before the payment was approved.", "Tiden att betala tog slut innan betalningen godkändes.",
		"Tiden for å betale gikk ut før betalingen ble godkjent.", "Maksuaika päättyi ennen kuin maksu hyväksyttiin.",
		"Tiden til at betale udløb, før betalingen blev godkendt.", "Le délai de paiement a expiré avant que le paiement soit approuvé.",
		"Mokėjimo laikas baigėsi, kol mokėjimas nebuvo patvirtintas.", "O prazo para pagar terminou antes de o pagamento ser aprovado."},
}

func init() { merge(attemptTexts) }
