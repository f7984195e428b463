package i18n

// refundTexts holds the texts of refunds: the workspace's "Refunds to authorise" page and the
// checkout pages of a refund order (the merchant's person paying refunds at the merchant's bank),
// by language in the order en, sv, no, fi, da, fr, lt, pt; init adds them to the catalogues.
// Counts stand beside a label ("Number of refunds: 2", "(2 of 3)") so no language has to inflect.
var refundTexts = map[string][8]string{
	"ws.nav.refunds":   {"Refunds", "Återbetalningar", "Tilbakebetalinger", "Hyvitykset", "Tilbagebetalinger", "Remboursements", "Grąžinimai", "Reembolsos"},
	"ws.refunds.title": {"Refunds to authorise", "Återbetalningar att godkänna", "Tilbakebetalinger som skal godkjennes", "Hyväksyttävät hyvitykset", "Tilbagebetalinger, der skal godkendes", "Remboursements à autoriser", "Grąžinimai, laukiantys patvirtinimo", "Reembolsos a autorizar"},
	"ws.refunds.help": {
		"Refunds your shop created wait here. Select some and authorise them: you go to your bank and approve the payment back to each payer with your bank's own sign-in, as for any payment from your business account.",
		"Återbetalningar som butiken skapat väntar här. Välj några och godkänn dem: du skickas till din bank och godkänner betalningen tillbaka till varje betalare med bankens egen inloggning, som för varje betalning från företagskontot.",
		"Tilbakebetalinger butikken har opprettet, venter her. Velg noen og godkjenn dem: du sendes til banken din og godkjenner betalingen tilbake til hver betaler med bankens egen innlogging, som for enhver betaling fra bedriftskontoen.",
		"Kauppasi luomat hyvitykset odottavat täällä. Valitse hyvitykset ja hyväksy ne: siirryt pankkiisi ja hyväksyt maksun takaisin kullekin maksajalle pankin omalla tunnistautumisella, kuten minkä tahansa maksun yritystililtä.",
		"Tilbagebetalinger, som butikken har oprettet, venter her. Vælg nogle og godkend dem: du sendes til din bank og godkender betalingen tilbage til hver betaler med bankens eget login, som for enhver betaling fra virksomhedskontoen.",
		"Les remboursements créés par votre boutique attendent ici. Sélectionnez-les et autorisez-les : vous passez par votre banque et validez le paiement vers chaque payeur avec l’authentification de votre banque, comme pour tout paiement depuis votre compte professionnel.",
		"Čia laukia jūsų parduotuvės sukurti grąžinimai. Pažymėkite juos ir patvirtinkite: būsite nukreipti į savo banką ir patvirtinsite mokėjimą atgal kiekvienam mokėtojui banko prisijungimu, kaip ir bet kurį mokėjimą iš įmonės sąskaitos.",
		"Os reembolsos criados pela sua loja aguardam aqui. Selecione-os e autorize-os: vai ao seu banco e aprova o pagamento de volta a cada pagador com a autenticação do seu banco, como em qualquer pagamento da conta da empresa."},
	"ws.refunds.from": {"Paid from", "Betalas från", "Betales fra", "Maksetaan tililtä", "Betales fra", "Payé depuis", "Mokama iš", "Pago a partir de"},
	"ws.refunds.no_account": {
		"No account to pay refunds from is set. The operator sets it with: paybybank merchant refund-account set.",
		"Inget konto att betala återbetalningar från är inställt. Driftansvarig ställer in det med: paybybank merchant refund-account set.",
		"Ingen konto å betale tilbakebetalinger fra er satt opp. Driftsansvarlig setter det opp med: paybybank merchant refund-account set.",
		"Tiliä, jolta hyvitykset maksetaan, ei ole asetettu. Ylläpitäjä asettaa sen komennolla: paybybank merchant refund-account set.",
		"Der er ikke angivet en konto at betale tilbagebetalinger fra. Driftsansvarlig angiver den med: paybybank merchant refund-account set.",
		"Aucun compte de paiement des remboursements n’est configuré. L’exploitant le configure avec : paybybank merchant refund-account set.",
		"Nenustatyta sąskaita, iš kurios mokami grąžinimai. Operatorius ją nustato komanda: paybybank merchant refund-account set.",
		"Não está definida nenhuma conta para pagar reembolsos. O operador define-a com: paybybank merchant refund-account set."},
	"ws.refunds.bulk": {
		"Your bank takes several refunds under one authorisation.",
		"Din bank tar emot flera återbetalningar med ett godkännande.",
		"Banken din tar imot flere tilbakebetalinger med én godkjenning.",
		"Pankkisi hyväksyy useita hyvityksiä yhdellä hyväksynnällä.",
		"Din bank modtager flere tilbagebetalinger med én godkendelse.",
		"Votre banque accepte plusieurs remboursements en une seule autorisation.",
		"Jūsų bankas priima kelis grąžinimus vienu patvirtinimu.",
		"O seu banco aceita vários reembolsos numa única autorização."},
	"ws.refunds.in_turn": {
		"Your bank takes one refund per authorisation: you authorise the selected refunds one after the other.",
		"Din bank tar emot en återbetalning per godkännande: du godkänner de valda återbetalningarna en i taget.",
		"Banken din tar imot én tilbakebetaling per godkjenning: du godkjenner de valgte tilbakebetalingene én etter én.",
		"Pankkisi hyväksyy yhden hyvityksen kerrallaan: hyväksyt valitut hyvitykset yksi kerrallaan.",
		"Din bank modtager én tilbagebetaling pr. godkendelse: du godkender de valgte tilbagebetalinger én ad gangen.",
		"Votre banque accepte un remboursement par autorisation : vous autorisez les remboursements sélectionnés l’un après l’autre.",
		"Jūsų bankas priima vieną grąžinimą vienu patvirtinimu: pažymėtus grąžinimus patvirtinsite vieną po kito.",
		"O seu banco aceita um reembolso por autorização: autoriza os reembolsos selecionados um de cada vez."},
	"ws.refunds.none":          {"No refunds are waiting for authorisation.", "Inga återbetalningar väntar på godkännande.", "Ingen tilbakebetalinger venter på godkjenning.", "Yksikään hyvitys ei odota hyväksyntää.", "Ingen tilbagebetalinger venter på godkendelse.", "Aucun remboursement n’attend d’autorisation.", "Nėra grąžinimų, laukiančių patvirtinimo.", "Nenhum reembolso aguarda autorização."},
	"ws.refunds.select":        {"Select", "Välj", "Velg", "Valitse", "Vælg", "Sélectionner", "Pažymėti", "Selecionar"},
	"ws.refunds.authorise":     {"Authorise selected", "Godkänn valda", "Godkjenn valgte", "Hyväksy valitut", "Godkend valgte", "Autoriser la sélection", "Patvirtinti pažymėtus", "Autorizar selecionados"},
	"ws.refunds.none_selected": {"Select at least one refund.", "Välj minst en återbetalning.", "Velg minst én tilbakebetaling.", "Valitse vähintään yksi hyvitys.", "Vælg mindst én tilbagebetaling.", "Sélectionnez au moins un remboursement.", "Pažymėkite bent vieną grąžinimą.", "Selecione pelo menos um reembolso."},
	"ws.refunds.taken": {
		"A selected refund is no longer waiting for authorisation: someone else started or cancelled it. Nothing was changed.",
		"En vald återbetalning väntar inte längre på godkännande: någon annan har påbörjat eller avbrutit den. Inget ändrades.",
		"En valgt tilbakebetaling venter ikke lenger på godkjenning: noen andre har startet eller avbrutt den. Ingenting ble endret.",
		"Valittu hyvitys ei enää odota hyväksyntää: joku muu aloitti tai peruutti sen. Mitään ei muutettu.",
		"En valgt tilbagebetaling venter ikke længere på godkendelse: en anden har startet eller annulleret den. Intet blev ændret.",
		"Un remboursement sélectionné n’attend plus d’autorisation : quelqu’un d’autre l’a commencé ou annulé. Rien n’a été modifié.",
		"Pažymėtas grąžinimas nebelaukia patvirtinimo: kažkas kitas jį pradėjo arba atšaukė. Niekas nepakeista.",
		"Um reembolso selecionado já não aguarda autorização: outra pessoa iniciou-o ou cancelou-o. Nada foi alterado."},
	"ws.refunds.refused":  {"The refunds could not be authorised", "Återbetalningarna kunde inte godkännas", "Tilbakebetalingene kunne ikke godkjennes", "Hyvityksiä ei voitu hyväksyä", "Tilbagebetalingerne kunne ikke godkendes", "Les remboursements n’ont pas pu être autorisés", "Grąžinimų nepavyko patvirtinti", "Não foi possível autorizar os reembolsos"},
	"ws.refunds.sitting":  {"Your authorisation", "Ditt godkännande", "Din godkjenning", "Hyväksyntäsi", "Din godkendelse", "Votre autorisation", "Jūsų patvirtinimas", "A sua autorização"},
	"ws.refunds.next":     {"Authorise the next refund (%d of %d)", "Godkänn nästa återbetalning (%d av %d)", "Godkjenn neste tilbakebetaling (%d av %d)", "Hyväksy seuraava hyvitys (%d/%d)", "Godkend næste tilbagebetaling (%d af %d)", "Autoriser le remboursement suivant (%d sur %d)", "Patvirtinti kitą grąžinimą (%d iš %d)", "Autorizar o reembolso seguinte (%d de %d)"},
	"ws.refunds.continue": {"Continue at your bank", "Fortsätt hos din bank", "Fortsett i banken din", "Jatka pankissasi", "Fortsæt i din bank", "Continuer auprès de votre banque", "Tęsti savo banke", "Continuar no seu banco"},
	"ws.refunds.all_done": {
		"Every refund you selected has been through your bank. Their status follows the bank's word: this page shows it when you reload.",
		"Alla återbetalningar du valde har gått via din bank. Deras status följer bankens besked: sidan visar den när du laddar om.",
		"Alle tilbakebetalingene du valgte, har vært gjennom banken din. Statusen følger bankens beskjed: siden viser den når du laster inn på nytt.",
		"Kaikki valitsemasi hyvitykset on käsitelty pankissasi. Niiden tila seuraa pankin tietoja: sivu näyttää sen, kun lataat sen uudelleen.",
		"Alle de tilbagebetalinger, du valgte, har været gennem din bank. Deres status følger bankens besked: siden viser den, når du genindlæser.",
		"Tous les remboursements sélectionnés sont passés par votre banque. Leur statut suit la réponse de la banque : cette page l’affiche quand vous la rechargez.",
		"Visi pažymėti grąžinimai perėjo per jūsų banką. Jų būsena atitinka banko atsakymą: puslapis ją parodo jį atnaujinus.",
		"Todos os reembolsos selecionados passaram pelo seu banco. O estado segue a resposta do banco: esta página mostra-o quando a recarregar."},
	"ws.refunds.recent":                {"Recent refunds", "Senaste återbetalningar", "Siste tilbakebetalinger", "Viimeisimmät hyvitykset", "Seneste tilbagebetalinger", "Remboursements récents", "Naujausi grąžinimai", "Reembolsos recentes"},
	"ws.col.payee":                     {"To", "Till", "Til", "Saaja", "Til", "À", "Kam", "Para"},
	"ws.col.account":                   {"Account", "Konto", "Konto", "Tili", "Konto", "Compte", "Sąskaita", "Conta"},
	"ws.col.payment":                   {"Payment", "Betalning", "Betaling", "Maksu", "Betaling", "Paiement", "Mokėjimas", "Pagamento"},
	"ws.refund.awaiting_authorisation": {"Awaiting authorisation", "Väntar på godkännande", "Venter på godkjenning", "Odottaa hyväksyntää", "Afventer godkendelse", "En attente d’autorisation", "Laukia patvirtinimo", "A aguardar autorização"},
	"ws.refund.authorising":            {"Authorising", "Godkänns", "Godkjennes", "Hyväksytään", "Godkendes", "Autorisation en cours", "Tvirtinama", "Em autorização"},
	"ws.refund.processing":             {"Processing", "Behandlas", "Behandles", "Käsittelyssä", "Behandles", "En traitement", "Vykdoma", "Em processamento"},
	"ws.refund.completed":              {"Completed", "Genomförd", "Gjennomført", "Valmis", "Gennemført", "Effectué", "Įvykdytas", "Concluído"},
	"ws.refund.failed":                 {"Failed", "Misslyckad", "Mislyktes", "Epäonnistui", "Mislykket", "Échoué", "Nepavyko", "Falhado"},
	"ws.refund.cancelled":              {"Cancelled", "Avbruten", "Avbrutt", "Peruutettu", "Annulleret", "Annulé", "Atšauktas", "Cancelado"},

	"refund.title":                  {"Authorise refunds · %s", "Godkänn återbetalningar · %s", "Godkjenn tilbakebetalinger · %s", "Hyväksy hyvitykset · %s", "Godkend tilbagebetalinger · %s", "Autoriser des remboursements · %s", "Patvirtinti grąžinimus · %s", "Autorizar reembolsos · %s"},
	"refund.heading.one":            {"You are authorising a refund", "Du godkänner en återbetalning", "Du godkjenner en tilbakebetaling", "Olet hyväksymässä hyvitystä", "Du godkender en tilbagebetaling", "Vous autorisez un remboursement", "Jūs tvirtinate grąžinimą", "Está a autorizar um reembolso"},
	"refund.heading.many":           {"You are authorising refunds in one payment from your bank", "Du godkänner återbetalningar i en betalning från din bank", "Du godkjenner tilbakebetalinger i én betaling fra banken din", "Olet hyväksymässä hyvityksiä yhtenä maksuna pankistasi", "Du godkender tilbagebetalinger i én betaling fra din bank", "Vous autorisez des remboursements en un seul paiement depuis votre banque", "Jūs tvirtinate grąžinimus vienu mokėjimu iš savo banko", "Está a autorizar reembolsos num único pagamento do seu banco"},
	"refund.from":                   {"From", "Från", "Fra", "Tililtä", "Fra", "Depuis", "Iš", "De"},
	"refund.expires":                {"Authorise before", "Godkänn före", "Godkjenn før", "Hyväksy viimeistään", "Godkend før", "À autoriser avant", "Patvirtinkite iki", "Autorize até"},
	"refund.choose":                 {"Choose the bank you pay refunds from", "Välj banken som återbetalningarna görs från", "Velg banken refusjonene betales fra", "Valitse pankki, josta palautukset maksetaan", "Vælg banken, som refusionerne betales fra", "Choisissez la banque d’où partent les remboursements", "Pasirinkite banką, iš kurio mokami grąžinimai", "Escolha o banco de onde são pagos os reembolsos"},
	"refund.count":                  {"Number of refunds", "Antal återbetalningar", "Antall tilbakebetalinger", "Hyvitysten määrä", "Antal tilbagebetalinger", "Nombre de remboursements", "Grąžinimų skaičius", "Número de reembolsos"},
	"refund.total":                  {"Total", "Totalt", "Totalt", "Yhteensä", "I alt", "Total", "Iš viso", "Total"},
	"refund.to":                     {"To the payers", "Till betalarna", "Til betalerne", "Maksajille", "Til betalerne", "Aux payeurs", "Mokėtojams", "Aos pagadores"},
	"refund.to.one":                 {"To the payer", "Till betalaren", "Til betaleren", "Maksajalle", "Til betaleren", "Au payeur", "Mokėtojui", "Ao pagador"},
	"refund.result.completed":       {"Refunds paid", "Återbetalningarna är betalda", "Tilbakebetalingene er betalt", "Hyvitykset maksettu", "Tilbagebetalingerne er betalt", "Remboursements payés", "Grąžinimai sumokėti", "Reembolsos pagos"},
	"refund.result.completed.text":  {"Your bank has confirmed the payment to the payers.", "Din bank har bekräftat betalningen till betalarna.", "Banken din har bekreftet betalingen til betalerne.", "Pankkisi on vahvistanut maksun maksajille.", "Din bank har bekræftet betalingen til betalerne.", "Votre banque a confirmé le paiement aux payeurs.", "Jūsų bankas patvirtino mokėjimą mokėtojams.", "O seu banco confirmou o pagamento aos pagadores."},
	"refund.result.processing":      {"Refunds being processed", "Återbetalningarna behandlas", "Tilbakebetalingene behandles", "Hyvityksiä käsitellään", "Tilbagebetalingerne behandles", "Remboursements en traitement", "Grąžinimai vykdomi", "Reembolsos em processamento"},
	"refund.result.processing.text": {"You approved the refunds. We are waiting for your bank to confirm them; this page updates by itself.", "Du godkände återbetalningarna. Vi väntar på att din bank bekräftar dem; sidan uppdateras av sig själv.", "Du godkjente tilbakebetalingene. Vi venter på at banken din bekrefter dem; siden oppdateres av seg selv.", "Hyväksyit hyvitykset. Odotamme pankkisi vahvistusta; sivu päivittyy itsestään.", "Du godkendte tilbagebetalingerne. Vi venter på, at din bank bekræfter dem; siden opdateres af sig selv.", "Vous avez validé les remboursements. Nous attendons la confirmation de votre banque ; cette page se met à jour d’elle-même.", "Patvirtinote grąžinimus. Laukiame banko patvirtinimo; puslapis atsinaujins pats.", "Aprovou os reembolsos. Aguardamos a confirmação do seu banco; esta página atualiza-se sozinha."},
	"refund.result.failed":          {"Refunds not paid", "Återbetalningarna betalades inte", "Tilbakebetalingene ble ikke betalt", "Hyvityksiä ei maksettu", "Tilbagebetalingerne blev ikke betalt", "Remboursements non payés", "Grąžinimai nesumokėti", "Reembolsos não pagos"},
	"refund.result.failed.text":     {"Your bank did not make the payment. No money has left your account.", "Din bank genomförde inte betalningen. Inga pengar har lämnat ditt konto.", "Banken din gjennomførte ikke betalingen. Ingen penger har forlatt kontoen din.", "Pankkisi ei tehnyt maksua. Tililtäsi ei ole lähtenyt rahaa.", "Din bank gennemførte ikke betalingen. Der er ikke trukket penge fra din konto.", "Votre banque n’a pas effectué le paiement. Aucun argent n’a quitté votre compte.", "Jūsų bankas neatliko mokėjimo. Iš jūsų sąskaitos pinigai nenuskaityti.", "O seu banco não efetuou o pagamento. Nenhum dinheiro saiu da sua conta."},
	"refund.result.cancelled":       {"Authorisation stopped", "Godkännandet avbröts", "Godkjenningen ble avbrutt", "Hyväksyntä keskeytettiin", "Godkendelsen blev afbrudt", "Autorisation interrompue", "Patvirtinimas nutrauktas", "Autorização interrompida"},
	"refund.result.cancelled.text":  {"No money has left your account. The refunds wait in the workspace to be authorised another time.", "Inga pengar har lämnat ditt konto. Återbetalningarna väntar i arbetsytan på att godkännas en annan gång.", "Ingen penger har forlatt kontoen din. Tilbakebetalingene venter i arbeidsområdet på å bli godkjent en annen gang.", "Tililtäsi ei ole lähtenyt rahaa. Hyvitykset odottavat työtilassa hyväksyntää myöhemmin.", "Der er ikke trukket penge fra din konto. Tilbagebetalingerne venter i arbejdsområdet på at blive godkendt en anden gang.", "Aucun argent n’a quitté votre compte. Les remboursements attendent dans l’espace de travail d’être autorisés une autre fois.", "Iš jūsų sąskaitos pinigai nenuskaityti. Grąžinimai laukia darbo srityje, kol juos patvirtinsite kitą kartą.", "Nenhum dinheiro saiu da sua conta. Os reembolsos aguardam na área de trabalho para serem autorizados noutra altura."},
	"refund.result.expired":         {"Time ran out", "Tiden tog slut", "Tiden gikk ut", "Aika loppui", "Tiden løb ud", "Délai dépassé", "Laikas baigėsi", "O tempo esgotou-se"},
	"refund.result.expired.text":    {"No money has left your account. The refunds wait in the workspace to be authorised another time.", "Inga pengar har lämnat ditt konto. Återbetalningarna väntar i arbetsytan på att godkännas en annan gång.", "Ingen penger har forlatt kontoen din. Tilbakebetalingene venter i arbeidsområdet på å bli godkjent en annen gang.", "Tililtäsi ei ole lähtenyt rahaa. Hyvitykset odottavat työtilassa hyväksyntää myöhemmin.", "Der er ikke trukket penge fra din konto. Tilbagebetalingerne venter i arbejdsområdet på at blive godkendt en anden gang.", "Aucun argent n’a quitté votre compte. Les remboursements attendent dans l’espace de travail d’être autorisés une autre fois.", "Iš jūsų sąskaitos pinigai nenuskaityti. Grąžinimai laukia darbo srityje, kol juos patvirtinsite kitą kartą.", "Nenhum dinheiro saiu da sua conta. Os reembolsos aguardam na área de trabalho para serem autorizados noutra altura."},
	"refund.back":                   {"Back to refunds", "Tillbaka till återbetalningar", "Tilbake til tilbakebetalinger", "Takaisin hyvityksiin", "Tilbage til tilbagebetalinger", "Retour aux remboursements", "Grįžti į grąžinimus", "Voltar aos reembolsos"},
}

func init() {
	for key, texts := range refundTexts {
		for i, lang := range workspaceLangs {
			catalogs[lang][key] = texts[i]
		}
	}
}
