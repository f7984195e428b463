package handlers

import (
	"bytes"
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"

	"paybybank/checkout"
	"paybybank/i18n"
	"paybybank/views"
)

// pickerInput is everything a picker's bank list is drawn from.
type pickerInput struct {
	lang      string // the localizer's language: it names the countries and the notes
	home      string // the country listed first
	preselect string // the merchant's bank: the list shrinks to that one button
	country   string // the merchant's country: only its banks are listed
	last      string // the bank this shopper used last, shown on top
	query     string // the shopper's search
	list      checkout.BankList
}

// key is the input written out whole, so two inputs with one key draw the same list: the banks
// themselves by the list's version, and what each option says of this payment.
func (in pickerInput) key() string {
	b := make([]byte, 0, 64+4*len(in.list.Options))
	for _, f := range []string{in.lang, in.home, in.preselect, in.country, in.last, in.query} {
		b = append(b, f...)
		b = append(b, 0)
	}
	b = strconv.AppendUint(b, in.list.Version, 10)
	for _, o := range in.list.Options {
		b = append(b, 0)
		if o.Available {
			b = append(b, '+')
		}
		b = append(b, o.Reason...)
		b = strconv.AppendInt(b, int64(o.Limit), 10)
	}
	return string(b)
}

// bankLists keeps drawn bank lists. Shoppers of one shop mostly see the same list (the same
// banks in the same language and order), and drawing it was most of a picker page's time, so
// each distinct list is drawn once. The key is the whole input, so a kept list is exactly the
// one that would be drawn now; searches, which vary without end, are drawn every time.
type bankLists struct {
	mu    sync.Mutex
	drawn map[string]string
}

// maxBankLists bounds the lists kept (a list is ~5 KB); when full they are dropped and redrawn.
const maxBankLists = 512

func (c *bankLists) draw(ctx context.Context, in pickerInput, l *i18n.Localizer) templ.Component {
	if in.query != "" {
		return views.BankList(in.banks(l))
	}
	key := in.key()
	c.mu.Lock()
	html, ok := c.drawn[key]
	c.mu.Unlock()
	if ok {
		return templ.Raw(html)
	}
	var buf bytes.Buffer
	if err := views.BankList(in.banks(l)).Render(ctx, &buf); err != nil {
		return views.BankList(in.banks(l)) // drawn in the page instead, where the error is reported
	}
	html = buf.String()
	c.mu.Lock()
	if c.drawn == nil || len(c.drawn) >= maxBankLists {
		c.drawn = make(map[string]string)
	}
	c.drawn[key] = html
	c.mu.Unlock()
	return templ.Raw(html)
}

// banks groups the banks that can take the payment by country, the home country first; those
// that cannot are listed apart with why (drawn behind one line), never as buttons.
func (in pickerInput) banks(l *i18n.Localizer) views.Banks {
	d := views.Banks{L: l}
	groups := map[string]*views.BankGroup{}
	var countries []string
	q := strings.ToLower(in.query)
	for _, b := range in.list.Options {
		if in.preselect != "" && b.BIC != in.preselect {
			continue // the merchant chose the bank: the picker shrinks to that one button
		}
		if in.country != "" && b.Country != in.country && in.preselect == "" {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(b.Name+" "+b.BIC), q) {
			continue
		}
		item := views.BankItem{BIC: b.Key(), Name: b.Name, Initials: initials(b.Name), Available: b.Available}
		if !b.Available {
			item.Note = unavailableNote(l, b)
			d.Other = append(d.Other, item)
			continue
		}
		if b.Key() == in.last && q == "" {
			it := item
			d.Last = &it
			continue
		}
		g := groups[b.Country]
		if g == nil {
			g = &views.BankGroup{Country: b.Country, Label: l.T("country." + b.Country)}
			groups[b.Country] = g
			countries = append(countries, b.Country)
		}
		g.Banks = append(g.Banks, item)
	}
	sort.SliceStable(countries, func(i, j int) bool {
		a, b := countries[i], countries[j]
		if (a == in.home) != (b == in.home) {
			return a == in.home
		}
		return a < b
	})
	for _, c := range countries {
		d.Groups = append(d.Groups, *groups[c])
	}
	return d
}

// unavailableNote says, in the shopper's words, why a bank cannot take this payment.
func unavailableNote(l *i18n.Localizer, b checkout.BankOption) string {
	switch b.Reason {
	case "currency":
		return l.T("picker.unavailable")
	case "creditor":
		return l.T("picker.creditor")
	case "reference":
		return strings.Replace(l.T("picker.reference"), "%d", strconv.Itoa(b.Limit), 1)
	case "address":
		return l.T("picker.address")
	case "tsu":
		return l.T("picker.tsu")
	}
	return l.T("picker.cannot")
}
