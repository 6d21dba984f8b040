package app

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/events"
)

var _ events.Render = renderObject

// renderObject is the webhooks' events.Render until the real one lands: it renders every object as {"id": id}.
// Placeholder: the `emit` branch replaces it with internal/apiview's renderer (the object as the API returns it)
// and wires the Emitter (Services.Webhooks) into the modules that emit events.
func renderObject(_ context.Context, _ pgx.Tx, _ events.Kind, id int64) (json.RawMessage, error) {
	return json.RawMessage(`{"id":` + strconv.FormatInt(id, 10) + `}`), nil
}
