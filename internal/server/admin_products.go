package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/offer"
	"github.com/bursar/bursar/templates/admin"
)

const adminPageSize = 50

func (s *Server) adminProducts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	f := offer.ProductFilter{Query: q.Get("q"), IncludeArchived: q.Get("archived") != "", AfterID: after, Limit: adminPageSize}
	products, err := s.offers.Products(r.Context(), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	parents := make([]int64, 0, len(products))
	for _, p := range products {
		if p.ParentID != 0 {
			parents = append(parents, p.ParentID)
		}
	}
	names, err := s.offers.ProductNames(r.Context(), parents)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := admin.Products{Page: s.adminPage(r, "Products", "products"), Query: f.Query, IncludeArchived: f.IncludeArchived}
	for _, p := range products {
		v.Rows = append(v.Rows, admin.ProductRow{ID: p.ID, Name: p.Name, Kind: p.Kind, Parent: names[p.ParentID],
			ExternalURL: p.ExternalURL, Archived: p.ArchivedAt != nil})
	}
	if len(products) == adminPageSize {
		next := url.Values{"after": {itoa(products[len(products)-1].ID)}}
		if f.Query != "" {
			next.Set("q", f.Query)
		}
		if f.IncludeArchived {
			next.Set("archived", "1")
		}
		v.NextURL = "/admin/products?" + next.Encode()
	}
	s.render(w, r, http.StatusOK, admin.ProductsPage(v))
}

// productForm fills the form's view model: the product's fields and the courses a module can belong to.
func (s *Server) productForm(r *http.Request, title string, in offer.ProductInput) (admin.ProductForm, error) {
	courses, err := s.offers.Products(r.Context(), offer.ProductFilter{})
	if err != nil {
		return admin.ProductForm{}, err
	}
	v := admin.ProductForm{Page: s.adminPage(r, title, "products"), Name: in.Name, Kind: in.Kind,
		Kinds: offer.ProductKinds, ParentID: in.ParentID, Description: in.Description, ExternalURL: in.ExternalURL,
		ExternalID: in.ExternalID}
	for _, c := range courses {
		if c.Kind == offer.KindCourse {
			v.Courses = append(v.Courses, admin.Choice{ID: c.ID, Label: c.Name})
		}
	}
	return v, nil
}

func (s *Server) adminProductNew(w http.ResponseWriter, r *http.Request) {
	v, err := s.productForm(r, "New product", offer.ProductInput{Kind: offer.KindCourse})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.FormToken = newFormToken()
	s.render(w, r, http.StatusOK, admin.ProductFormPage(v))
}

// productInputFrom reads the product form.
func productInputFrom(r *http.Request) offer.ProductInput {
	in := offer.ProductInput{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"),
		Description: r.PostFormValue("description"), ExternalURL: r.PostFormValue("external_url"),
		ExternalID: r.PostFormValue("external_id")}
	if p := strings.TrimSpace(r.PostFormValue("parent_id")); p != "" {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id <= 0 {
			id = -1 // not an id: Validate names the field
		}
		in.ParentID = id
	}
	return in
}

// productFormError re-renders the form with the field messages of err (422), or answers the error.
func (s *Server) productFormError(w http.ResponseWriter, r *http.Request, err error, title string, id int64, in offer.ProductInput) {
	e, ok := check.AsErrors(err)
	if !ok {
		s.htmlError(w, r, err)
		return
	}
	v, verr := s.productForm(r, title, in)
	if verr != nil {
		s.serverError(w, r, verr)
		return
	}
	v.ID, v.Errors = id, e
	if id == 0 {
		v.FormToken = newFormToken()
	}
	s.render(w, r, http.StatusUnprocessableEntity, admin.ProductFormPage(v))
}

func (s *Server) adminProductCreate(w http.ResponseWriter, r *http.Request) {
	in := productInputFrom(r)
	err := s.submitOnce(w, r, "Product created.", func() (string, error) {
		p, err := s.offers.CreateProduct(r.Context(), in)
		if err != nil {
			return "", err
		}
		return "/admin/products/" + itoa(p.ID), nil
	})
	if err != nil {
		s.productFormError(w, r, err, "New product", 0, in)
	}
}

func (s *Server) adminProductEdit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	p, err := s.offers.Product(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	v, err := s.productForm(r, "Product: "+p.Name, p.Input())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.ID, v.Archived = p.ID, p.ArchivedAt != nil
	s.render(w, r, http.StatusOK, admin.ProductFormPage(v))
}

func (s *Server) adminProductUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	in := productInputFrom(r)
	if _, err := s.offers.UpdateProduct(r.Context(), id, func(cur *offer.ProductInput) { *cur = in }); err != nil {
		s.productFormError(w, r, err, "Edit product", id, in)
		return
	}
	s.flash(r, "Product saved.")
	http.Redirect(w, r, "/admin/products/"+itoa(id), http.StatusSeeOther)
}

func (s *Server) adminProductArchive(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	p, err := s.offers.ArchiveProduct(r.Context(), id)
	if err != nil {
		s.htmlError(w, r, err)
		return
	}
	s.flash(r, "Product "+p.Name+" archived.")
	http.Redirect(w, r, "/admin/products/"+itoa(id), http.StatusSeeOther)
}
