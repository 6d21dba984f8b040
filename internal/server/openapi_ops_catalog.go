package server

import (
	"net/http"

	"github.com/bursar/bursar/internal/offer"
)

// The OpenAPI operations of the catalog: products, offers and payment systems (see apiOp; routes.go has the routes).

// enumOf is vals as strings, for a parameter's enum.
func enumOf[S ~string](vals []S) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

// flagParam is a yes/no query parameter as queryBool and queryFlag read it.
func flagParam(name, desc string) apiParam {
	return apiParam{Name: name, Type: "string", Enum: []string{"true", "false", "1", "0"}, Description: desc}
}

func catalogOps() []apiOp {
	const (
		get, post, patch = http.MethodGet, http.MethodPost, http.MethodPatch
	)
	return []apiOp{
		{Method: get, Path: "/products", Summary: "List products", Response: List[apiProductJSON]{},
			Query: paged(apiParam{Name: "q", Type: "string", Description: "Words in the name."},
				apiParam{Name: "archived", Type: "string", Enum: []string{"true", "false"},
					Description: "`false` leaves archived products out."})},
		{Method: post, Path: "/products", Summary: "Create a product", Body: apiProductRequest{},
			Response: apiProductJSON{}, Status: http.StatusCreated},
		{Method: get, Path: "/products/{id}", Summary: "Get a product", Response: apiProductJSON{}},
		{Method: patch, Path: "/products/{id}", Summary: "Update a product",
			Description: "Partial: a field left out keeps its value.", Body: apiProductRequest{}, Response: apiProductJSON{}},
		{Method: post, Path: "/products/{id}/archive", Summary: "Archive a product", Response: apiProductJSON{}},

		{Method: get, Path: "/offers", Summary: "List offers", Response: List[apiOfferJSON]{},
			Query: paged(apiParam{Name: "status", Type: "string", Enum: offer.Statuses},
				apiParam{Name: "q", Type: "string", Description: "Words in the title."})},
		{Method: post, Path: "/offers", Summary: "Create an offer", Body: apiOfferRequest{}, Response: apiOfferJSON{},
			Status: http.StatusCreated, Errors: []int{http.StatusConflict}},
		{Method: get, Path: "/offers/{id}", Summary: "Get an offer", Response: apiOfferJSON{}},
		{Method: patch, Path: "/offers/{id}", Summary: "Update an offer",
			Description: "Partial: a field left out keeps its value; `null` clears `interval_days`, `installments` and `access_days`.",
			Body:        apiOfferRequest{}, Response: apiOfferJSON{}, Errors: []int{http.StatusConflict}},

		{Method: get, Path: "/payment-systems", Summary: "List payment systems", Response: List[apiPaymentSystem]{},
			Query: paged()},
		{Method: post, Path: "/payment-systems", Summary: "Create a payment system",
			Description: "Credentials are write-only: answers show which are set, never their values.",
			Body:        apiPaymentSystemIn{}, Response: apiPaymentSystem{}, Status: http.StatusCreated},
		{Method: get, Path: "/payment-systems/{id}", Summary: "Get a payment system", Response: apiPaymentSystem{}},
		{Method: patch, Path: "/payment-systems/{id}", Summary: "Update a payment system",
			Description: "Partial; a credential set to `null` is removed.", Body: apiPaymentSystemIn{},
			Response: apiPaymentSystem{}, Errors: []int{http.StatusConflict}},
	}
}
