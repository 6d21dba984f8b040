package redsys

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/bursar/bursar/internal/gateway"
)

// Redsys' public test merchant (the key of GATEWAYS.md's vector A).
const (
	testKey      = "sq7HjrUOBfKmC576ILgskD5srU870gJ7"
	testMerchant = "999008881"
	testTerminal = "1"
)

// testAccount is a Redsys payment system of the test merchant, calling apiURL ("" for Redsys' own hosts).
func testAccount(mode, apiURL string) gateway.Account {
	return gateway.Account{
		System: gateway.System{ID: 9, Type: gateway.TypeRedsys, Mode: mode,
			Settings: map[string]any{SettingMerchantCode: testMerchant, SettingTerminal: testTerminal}},
		Credentials: map[string]string{CredMerchantKey: testKey},
		APIURL:      apiURL,
	}
}

// refSign is the HMAC_SHA256_V1 signature of params for order under the base64 key keyB64, computed here
// step by step from the protocol's description, apart from the code under test.
func refSign(t testing.TB, keyB64, order, params string) []byte {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(keyB64)
	if err != nil {
		t.Fatal(err)
	}
	block, err := des.NewTripleDESCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	padded := make([]byte, (len(order)+7)/8*8)
	copy(padded, order)
	cipher.NewCBCEncrypter(block, make([]byte, 8)).CryptBlocks(padded, padded)
	m := hmac.New(sha256.New, padded)
	m.Write([]byte(params))
	return m.Sum(nil)
}

// notificationParams is a Ds_MerchantParameters text of values, as Redsys writes it (standard base64 of JSON).
func notificationParams(t testing.TB, values map[string]string) string {
	t.Helper()
	raw, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// notificationForm is the form Redsys posts: params signed with keyB64 for order, the signature in URL-safe
// base64 as Redsys sends it.
func notificationForm(t testing.TB, keyB64, order, params string) []byte {
	t.Helper()
	return []byte(url.Values{
		FieldSignatureVersion:   {SignatureVersion},
		FieldMerchantParameters: {params},
		FieldSignature:          {base64.URLEncoding.EncodeToString(refSign(t, keyB64, order, params))},
	}.Encode())
}

// paymentValues are the parameters of a notification about order 0042AbCdEfGh of Bursar's order 42.
func paymentValues(txType, response string) map[string]string {
	return map[string]string{
		"Ds_Date": "22%2F10%2F2021", "Ds_Hour": "22%3A51", "Ds_SecurePayment": "1", "Ds_Card_Country": "724",
		"Ds_Amount": "4999", "Ds_Currency": "978", "Ds_Order": "0042AbCdEfGh", "Ds_MerchantCode": testMerchant,
		"Ds_Terminal": "001", "Ds_Response": response, "Ds_MerchantData": "42", "Ds_TransactionType": txType,
		"Ds_ConsumerLanguage": "1", "Ds_AuthorisationCode": "052029", "Ds_Card_Brand": "1",
	}
}

// inbound is a notification body as it arrived.
func inbound(body []byte) gateway.Inbound {
	return gateway.Inbound{Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}.Get, Body: body,
		Received: time.Now()}
}
