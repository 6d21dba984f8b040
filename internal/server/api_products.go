package server

import (
	"net/http"
	"time"

	"github.com/bursar/bursar/internal/offer"
)

// apiProductJSON is a product in the API.
type apiProductJSON struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Kind        string     `json:"kind"`
	Description string     `json:"description"`
	ParentID    *int64     `json:"parent_id"`
	ExternalURL string     `json:"external_url"`
	ExternalID  string     `json:"external_id"`
	ArchivedAt  *time.Time `json:"archived_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

func productJSON(p offer.Product) apiProductJSON {
	v := apiProductJSON{ID: p.ID, Name: p.Name, Kind: p.Kind, Description: p.Description, ExternalURL: p.ExternalURL,
		ExternalID: p.ExternalID, ArchivedAt: p.ArchivedAt, CreatedAt: p.CreatedAt}
	if p.ParentID != 0 {
		v.ParentID = &p.ParentID
	}
	return v
}

// apiProductRequest is the body of POST and PATCH: absent fields keep their value (PATCH) or are empty (POST).
type apiProductRequest struct {
	Name        *string `json:"name"`
	Kind        *string `json:"kind"`
	Description *string `json:"description"`
	ParentID    *int64  `json:"parent_id"` // null or absent: none (POST), unchanged (PATCH); 0 removes it
	ExternalURL *string `json:"external_url"`
	ExternalID  *string `json:"external_id"`
}

func (b apiProductRequest) apply(in *offer.ProductInput) {
	setIf(&in.Name, b.Name)
	setIf(&in.Kind, b.Kind)
	setIf(&in.Description, b.Description)
	setIf(&in.ParentID, b.ParentID)
	setIf(&in.ExternalURL, b.ExternalURL)
	setIf(&in.ExternalID, b.ExternalID)
}

// setIf sets *dst to *v when v is not nil.
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (s *Server) apiProducts(w http.ResponseWriter, r *http.Request) {
	limit, err := pageLimit(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	after, err := decodeCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	q := r.URL.Query()
	products, err := s.offers.Products(r.Context(), offer.ProductFilter{Query: q.Get("q"),
		IncludeArchived: q.Get("archived") != "false", AfterID: after, Limit: limit + 1})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := List[apiProductJSON]{Data: make([]apiProductJSON, 0, min(len(products), limit))}
	for i, p := range products {
		if i == limit {
			out.NextCursor = encodeCursor(products[i-1].ID)
			break
		}
		out.Data = append(out.Data, productJSON(p))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiProductCreate(w http.ResponseWriter, r *http.Request) {
	var b apiProductRequest
	if !decodeJSON(w, r, &b) {
		return
	}
	var in offer.ProductInput
	b.apply(&in)
	p, err := s.offers.CreateProduct(r.Context(), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/products/"+itoa(p.ID))
	writeJSON(w, http.StatusCreated, productJSON(p))
}

func (s *Server) apiProduct(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	p, err := s.offers.Product(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, productJSON(p))
}

func (s *Server) apiProductUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var b apiProductRequest
	if !decodeJSON(w, r, &b) {
		return
	}
	p, err := s.offers.UpdateProduct(r.Context(), id, b.apply)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, productJSON(p))
}

func (s *Server) apiProductArchive(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	p, err := s.offers.ArchiveProduct(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, productJSON(p))
}
