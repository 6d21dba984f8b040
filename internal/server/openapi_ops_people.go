package server

import "net/http"

// The OpenAPI operations of contacts, access grants and imports (see apiOp; routes.go has the routes).

func contactOps() []apiOp {
	const (
		get, post, patch = http.MethodGet, http.MethodPost, http.MethodPatch
	)
	return []apiOp{
		{Method: get, Path: "/contacts", Summary: "List contacts", Response: List[contactJSON]{},
			Query: paged(apiParam{Name: "email", Type: "string", Description: "The contact with this e-mail."},
				apiParam{Name: "q", Type: "string", Description: "Words in the name, e-mail or phone."})},
		{Method: post, Path: "/contacts", Summary: "Create a contact", Body: contactIn{}, Response: contactJSON{},
			Status: http.StatusCreated},
		{Method: get, Path: "/contacts/{id}", Summary: "Get a contact", Response: contactJSON{}},
		{Method: patch, Path: "/contacts/{id}", Summary: "Update a contact",
			Description: "Partial: a field left out keeps its value.", Body: contactPatch{}, Response: contactJSON{}},
		{Method: http.MethodDelete, Path: "/contacts/{id}", Summary: "Delete a contact", Status: http.StatusNoContent,
			Errors: []int{http.StatusConflict}},
		{Method: get, Path: "/contacts/{id}/access", Summary: "A contact's access grants", Response: List[grantJSON]{}},

		{Method: post, Path: "/access", Summary: "Grant access",
			Description: "Grants the contact access to the product, for `days` or until `ends_at` (forever when " +
				"neither). The same grant again is answered 200 with the grant that exists.",
			Body: grantIn{}, Response: grantJSON{}, Status: http.StatusCreated, Also: map[int]any{http.StatusOK: nil}},
		{Method: get, Path: "/access/{id}", Summary: "Get an access grant", Response: grantJSON{}},
		{Method: post, Path: "/access/{id}/revoke", Summary: "Revoke an access grant", Body: revokeIn{},
			BodyOptional: true, Response: grantJSON{}},
		{Method: post, Path: "/access/{id}/transfer", Summary: "Transfer an access grant to another contact",
			Body: transferIn{}, Response: grantJSON{}},

		{Method: post, Path: "/imports", Summary: "Import a CSV of sales made elsewhere",
			Description: "The CSV as the body (`text/csv`), or as the part `file` of `multipart/form-data`. " +
				"`dry_run=true` checks it and answers the counts (200); otherwise it is committed (201). A file " +
				"with any bad row is refused whole: 422 with each bad row's errors in `rows`. Importing the same " +
				"file again changes nothing.",
			Query: []apiParam{flagParam("dry_run", "Check the file without importing it."),
				flagParam("welcome", "E-mail a welcome to each new contact."),
				flagParam("record_payments", "Record the rows' amounts as payments made elsewhere.")},
			BodyTypes: []string{"text/csv", "text/plain", "application/octet-stream", "multipart/form-data"},
			Response:  apiImportResult{}, Status: http.StatusCreated, Also: map[int]any{http.StatusOK: apiImportPreview{}}},
		{Method: get, Path: "/imports/{id}", Summary: "Get an import", Response: apiImport{}},
	}
}
