package server

import "net/http"

// The OpenAPI operations that cover the rest of the admin (see apiOp; routes.go has the routes): the school's
// settings and exchange rates, the audit log, a contact's notes and timeline, the list of imports, and the QR
// codes of payment links.

// recentParams is the limit of the lists of a contact's newest lines (recentLimit).
var recentParams = []apiParam{{Name: "limit", Type: "integer", Min: 1, Max: 1000, Default: 100,
	Description: "How many of the newest lines."}}

func adminOps() []apiOp {
	const (
		get, post, put, patch, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	)
	const ownerKey = "\n\nChanging needs an owner's key as well as the scope: a key made with the CLI, or on the " +
		"admin by a user who is still an owner and not disabled; any other key is answered 403."
	pair := []apiParam{{Name: "base", Description: "ISO 4217 code of the base currency (EUR)."},
		{Name: "quote", Description: "ISO 4217 code of the quote currency (UAH)."}}
	return []apiOp{
		{Method: get, Path: "/settings", Summary: "The school's settings", Response: settingsJSON{}},
		{Method: patch, Path: "/settings", Summary: "Change the school's settings",
			Description: "Partial: a field left out keeps its value; the result is checked whole and saved only " +
				"when all is well (422 names each bad field)." + ownerKey,
			Body: settingsPatch{}, Response: settingsJSON{}},

		{Method: get, Path: "/exchange-rates", Summary: "List exchange rates", Response: List[rateJSON]{}},
		{Method: post, Path: "/exchange-rates", Summary: "Add or update a currency pair's exchange rate",
			Description: "A new pair is 201; a pair that has a rate already is updated (200, the same id)." + ownerKey,
			Body:        rateIn{}, Response: rateJSON{}, Status: http.StatusCreated, Also: map[int]any{http.StatusOK: nil}},
		{Method: get, Path: "/exchange-rates/{id}", Summary: "Get an exchange rate", Response: rateJSON{}},
		{Method: put, Path: "/exchange-rates/{base}/{quote}", Summary: "Set a currency pair's exchange rate",
			Description: "1 base = rate quote. 201 when the pair is new, else 200." + ownerKey,
			PathText:    pair, Body: rateValue{}, Response: rateJSON{}, Status: http.StatusCreated,
			Also: map[int]any{http.StatusOK: nil}},
		{Method: del, Path: "/exchange-rates/{id}", Summary: "Delete an exchange rate", Description: ownerKey[2:],
			Status: http.StatusNoContent},

		{Method: get, Path: "/audit-log", Summary: "Read the audit log",
			Description: "Who changed what, newest first.", Response: List[auditEntryJSON]{},
			Query: paged(apiParam{Name: "entity", Type: "string", Description: "What was changed: contact, order, settings, exchange_rate…"},
				apiParam{Name: "entity_id", Type: "string", Description: "Its id (with entity)."},
				apiParam{Name: "actor", Type: "string", Description: "admin, api, cli or system; admin:<user id> or api:<key id>."},
				apiParam{Name: "since", Type: "string", Description: "Entries at or after: RFC 3339, or a date (from its start, UTC)."},
				apiParam{Name: "until", Type: "string", Description: "Entries before: RFC 3339, or a date (to its end, UTC)."})},

		{Method: get, Path: "/contacts/{id}/notes", Summary: "A contact's staff notes", Query: recentParams,
			Response: List[noteJSON]{}},
		{Method: post, Path: "/contacts/{id}/notes", Summary: "Add a staff note to a contact", Body: noteIn{},
			Response: noteJSON{}, Status: http.StatusCreated},
		{Method: get, Path: "/contacts/{id}/timeline", Summary: "A contact's internal timeline", Query: recentParams,
			Response: List[timelineJSON]{}},

		{Method: get, Path: "/imports", Summary: "List imports", Query: paged(), Response: List[apiImport]{}},

		{Method: get, Path: "/payment-links/{id}/qr.png", Summary: "A payment link's QR code (PNG)",
			Query: []apiParam{flagParam("download", "Answer it as an attachment.")}, Files: []string{"image/png"}},
		{Method: get, Path: "/payment-links/{id}/qr.svg", Summary: "A payment link's QR code (SVG)",
			Query: []apiParam{flagParam("download", "Answer it as an attachment.")}, Files: []string{"image/svg+xml"}},
	}
}
