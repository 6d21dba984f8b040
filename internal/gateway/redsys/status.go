package redsys

import (
	"context"
	"fmt"

	"github.com/bursar/bursar/internal/gateway"
)

// Status is gateway.ErrUnsupported: Redsys answers questions about a payment only through its SOAP query web
// service (consultas, SerClsWSConsulta), which Bursar does not speak. Some acquirers document a newer REST query
// with another envelope and signature (HMAC-SHA512) and no public test vectors; it is not implemented. Redsys'
// signed notification is how Bursar learns a payment's outcome.
func (p *Provider) Status(context.Context, gateway.Account, string) (gateway.Event, error) {
	return gateway.Event{}, fmt.Errorf("redsys: payment status: %w", gateway.ErrUnsupported)
}
