package wayforpay

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/gateway"
	"github.com/bursar/bursar/internal/money"
)

// refSuffixLen is how many random characters follow the order id in an orderReference.
const refSuffixLen = 8

// languages maps Bursar's languages to the payment page's; others get EN.
var languages = map[string]string{
	"uk": "UA", "ua": "UA", "ru": "RU", "en": "EN", "de": "DE", "es": "ES", "it": "IT", "pl": "PL", "fr": "FR",
	"ro": "RO", "lv": "LV", "sk": "SK", "cs": "CS",
}

// Begin returns the Purchase form for c: an auto-submitting form posting to WayForPay's payment page with one
// product (the title at the order's price, count 1), signed with HMAC-MD5 of
// "merchantAccount;merchantDomainName;orderReference;orderDate;amount;currency;productName;productCount;productPrice".
//
// Redirect.Ref is the attempt's orderReference, "<order id>-<8 random letters and digits>": WayForPay refuses an
// orderReference it has seen, so every attempt has its own, and notifications name the order through its prefix.
// Nothing is sent to WayForPay until the payer's browser posts the form.
func (p *Provider) Begin(_ context.Context, acct gateway.Account, c gateway.Checkout) (gateway.Redirect, error) {
	if c.OrderID <= 0 || c.Amount.Amount <= 0 || !money.Known(c.Amount.Currency) {
		return gateway.Redirect{}, fmt.Errorf("wayforpay: begin order %d: order id, a positive amount and a known "+
			"currency are required", c.OrderID)
	}
	m, err := merchantOf(acct)
	if err != nil {
		return gateway.Redirect{}, err
	}
	if m.domain == "" {
		return gateway.Redirect{}, fmt.Errorf("wayforpay: payment system %d has no %s", acct.System.ID,
			SettingMerchantDomain)
	}
	ref := fmt.Sprintf("%d-%s", c.OrderID, rand.Text()[:refSuffixLen])
	return p.purchase(acct, m, purchase{ref: ref, amount: c.Amount, name: title(c), language: c.Language,
		email: c.Email, returnURL: c.SuccessURL, serviceURL: c.NotifyURL}), nil
}

// purchase is what a Purchase form carries besides the merchant: one product at the whole amount.
type purchase struct {
	ref, name, language, email, returnURL, serviceURL string
	amount                                            money.Money
	extra                                             [][2]string // unsigned fields after the others
}

// purchase renders pu as the auto-submitting Purchase form of merchant m (its domain must be set).
func (p *Provider) purchase(acct gateway.Account, m merchant, pu purchase) gateway.Redirect {
	date := strconv.FormatInt(p.now().Unix(), 10)
	amount := formatAmount(pu.amount)
	count := "1"
	fields := [][2]string{
		{"merchantAccount", m.account},
		{"merchantDomainName", m.domain},
		{"merchantTransactionSecureType", "AUTO"},
		{"merchantSignature", purchaseSignature(m.secret, m.account, m.domain, pu.ref, date, amount,
			pu.amount.Currency, []product{{name: pu.name, count: count, price: amount}})},
		{"orderReference", pu.ref},
		{"orderDate", date},
		{"amount", amount},
		{"currency", pu.amount.Currency},
		{"productName[]", pu.name},
		{"productPrice[]", amount},
		{"productCount[]", count},
		{"language", language(pu.language)},
	}
	if pu.email != "" {
		fields = append(fields, [2]string{"clientEmail", pu.email})
	}
	if pu.returnURL != "" {
		fields = append(fields, [2]string{"returnUrl", pu.returnURL})
	}
	if pu.serviceURL != "" {
		fields = append(fields, [2]string{"serviceUrl", pu.serviceURL})
	}
	fields = append(fields, pu.extra...)
	return gateway.Redirect{Form: &gateway.Form{Action: base(acct, PayURL, "/pay"), Fields: fields}, Ref: pu.ref}
}

// product is one line of a Purchase: its name, count and unit price as sent.
type product struct{ name, count, price string }

// purchaseSignature signs a Purchase: HMAC-MD5 of "merchantAccount;merchantDomainName;orderReference;orderDate;
// amount;currency", then every product's name, then every count, then every price.
func purchaseSignature(secret, account, domain, ref, date, amount, currency string, products []product) string {
	fields := []string{account, domain, ref, date, amount, currency}
	for _, pr := range products {
		fields = append(fields, pr.name)
	}
	for _, pr := range products {
		fields = append(fields, pr.count)
	}
	for _, pr := range products {
		fields = append(fields, pr.price)
	}
	return sign(secret, fields...)
}

// title is what the payment page shows as the product: the title, else the order number.
func title(c gateway.Checkout) string {
	if t := strings.TrimSpace(c.Title); t != "" {
		return t
	}
	return "Order " + c.OrderNumber
}

// language is the payment page's language for a Bursar language ("uk", "en-GB"): itself or its base language
// when WayForPay has it, else EN.
func language(lang string) string {
	lang = strings.ToLower(lang)
	if l, ok := languages[lang]; ok {
		return l
	}
	if b, _, ok := strings.Cut(lang, "-"); ok {
		if l, ok := languages[b]; ok {
			return l
		}
	}
	return "EN"
}

// orderIDOf is Bursar's order id from an orderReference Begin made ("<order id>-<suffix>"); 0 for any other.
func orderIDOf(ref string) int64 {
	head, tail, ok := strings.Cut(ref, "-")
	if !ok || tail == "" || !digits(head) || len(head) > 18 {
		return 0
	}
	id, err := strconv.ParseInt(head, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}
