package bankid

// Message picks BankID's recommended user message (an RFA code) for what the shopper's page
// knows: the bank's scaStatus and hint, whether a QR is on screen, whether the shopper is on a
// phone and whether they already pressed "Open BankID".
func Message(scaStatus, hint string, qrShown, mobile, launched, failed bool) string {
	if failed {
		switch hint {
		case "startFailed":
			if qrShown || !mobile && !launched {
				return "RFA17B"
			}
			return "RFA17A"
		case "expiredTransaction":
			return "RFA8"
		case "userCancel":
			return "RFA6"
		case "cancelled":
			return "RFA3"
		case "certificateErr":
			return "RFA16"
		case "alreadyInProgress":
			return "RFA4"
		}
		return "RFA22"
	}
	switch hint {
	case "userSign":
		return "RFA9"
	case "started":
		if mobile {
			return "RFA15B"
		}
		return "RFA15A"
	}
	switch {
	case launched && !qrShown:
		return "RFA13"
	case qrShown:
		return "RFA1QR"
	case scaStatus == "started" || scaStatus == "psuAuthenticated" || scaStatus == "psuIdentified" || scaStatus == "authoriseCreditorAccountStarted":
		return "RFA21"
	}
	return "RFA1"
}
