package account

import (
	"context"
	"maps"

	"github.com/bursar/bursar/internal/audit"
)

// Purposes of a single-use link (password_resets.purpose). A token works only on the route of its own purpose: a
// welcome token on the reset route is an unknown token there, and is not spent.
const (
	PurposeReset   = "reset"   // a password-reset link (ResetPath), also sent to finish an account a sign-up could not make
	PurposeWelcome = "welcome" // the sign-in link e-mailed after paying without signing in (WelcomePath)
)

// Audit actor labels of what is done with a single-use link.
const (
	ActorResetLink   = "link:password_reset"
	ActorWelcomeLink = "link:welcome"
)

// linkActor makes the single-use link the audit actor of what is done with it, for the audit log and the contact's
// timeline. Whoever holds a link may not be its student (a mailbox can be read by others), so the log says "done
// through the link", never the student who signs in with a password; the contact and the client's address go into
// the entry's details (linkDetails).
func linkActor(ctx context.Context, label string) context.Context {
	return audit.WithActor(ctx, audit.Actor{Type: audit.ActorSystem, Label: label})
}

// linkDetails are the audit details of a link's use by client address ip for contact contactID, plus extra.
func linkDetails(contactID int64, ip string, extra map[string]any) map[string]any {
	d := map[string]any{"contact_id": contactID, "client": ip}
	maps.Copy(d, extra)
	return d
}
