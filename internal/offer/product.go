package offer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db"
	"github.com/bursar/bursar/internal/offer/offerq"
)

// ProductInput is what an admin sets on a product.
type ProductInput struct {
	Name        string
	Kind        string
	Description string
	ParentID    int64 // a module's course; 0 when none
	ExternalURL string
	ExternalID  string
}

// Input returns the editable fields of p.
func (p Product) Input() ProductInput {
	return ProductInput{Name: p.Name, Kind: p.Kind, Description: p.Description, ParentID: p.ParentID,
		ExternalURL: p.ExternalURL, ExternalID: p.ExternalID}
}

func (in *ProductInput) normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.Kind = strings.TrimSpace(in.Kind)
	in.Description = strings.TrimSpace(in.Description)
	in.ExternalURL = strings.TrimSpace(in.ExternalURL)
	in.ExternalID = strings.TrimSpace(in.ExternalID)
}

// Validate checks the fields that need no database.
func (in ProductInput) Validate() check.Errors {
	e := check.Errors{}
	e.Text("name", in.Name, true, 200)
	if !slices.Contains(ProductKinds, in.Kind) {
		e.Add("kind", "must be one of "+strings.Join(ProductKinds, ", "))
	}
	e.Text("description", in.Description, false, 5000)
	if in.ParentID < 0 {
		e.Add("parent_id", "is not a product")
	}
	if in.ParentID != 0 && in.Kind != KindModule {
		e.Add("parent_id", "only a module can belong to a course")
	}
	e.URL("external_url", in.ExternalURL)
	e.Text("external_id", in.ExternalID, false, 200)
	return e
}

// checkParentTx checks that a module's parent is an existing course, locking it against a kind change.
func checkParentTx(ctx context.Context, tx pgx.Tx, in ProductInput, e check.Errors) error {
	if in.ParentID == 0 {
		return nil
	}
	parent, err := offerq.New(tx).ProductForUpdate(ctx, in.ParentID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		e.Add("parent_id", "is not a product")
	case err != nil:
		return err
	case parent.Kind != KindCourse:
		e.Add("parent_id", "must be a course")
	}
	return nil
}

func parentArg(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// CreateProduct adds a product.
func (s *Service) CreateProduct(ctx context.Context, in ProductInput) (Product, error) {
	in.normalize()
	e := in.Validate()
	var p Product
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := checkParentTx(ctx, tx, in, e); err != nil {
			return err
		}
		if err := e.Err(); err != nil {
			return err
		}
		r, err := offerq.New(tx).ProductCreate(ctx, offerq.ProductCreateParams{Name: in.Name, Kind: in.Kind,
			Description: in.Description, ParentID: parentArg(in.ParentID), ExternalUrl: in.ExternalURL, ExternalID: in.ExternalID})
		if err != nil {
			return fmt.Errorf("create product: %w", err)
		}
		p = productFrom(r)
		return s.audit.RecordTx(ctx, tx, "product.create", "product", p.ID, map[string]any{"name": p.Name, "kind": p.Kind})
	})
	return p, err
}

// UpdateProduct changes product id: edit receives the current fields and changes those it means to, all under a
// row lock, so a partial update never overwrites a concurrent one with stale values.
func (s *Service) UpdateProduct(ctx context.Context, id int64, edit func(*ProductInput)) (Product, error) {
	var p Product
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		q := offerq.New(tx)
		cur, err := q.ProductForUpdate(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return productNotFound(id)
		}
		if err != nil {
			return err
		}
		in := productFrom(cur).Input()
		edit(&in)
		in.normalize()
		e := in.Validate()
		if in.ParentID == id {
			e.Add("parent_id", "cannot be the product itself")
		}
		if err := checkParentTx(ctx, tx, in, e); err != nil {
			return err
		}
		if cur.Kind == KindCourse && in.Kind != KindCourse {
			n, err := q.ProductChildCount(ctx, id)
			if err != nil {
				return err
			}
			if n > 0 {
				e.Add("kind", fmt.Sprintf("this course has %d modules; move them first", n))
			}
		}
		if err := e.Err(); err != nil {
			return err
		}
		r, err := q.ProductUpdate(ctx, offerq.ProductUpdateParams{ID: id, Name: in.Name, Kind: in.Kind,
			Description: in.Description, ParentID: parentArg(in.ParentID), ExternalUrl: in.ExternalURL, ExternalID: in.ExternalID})
		if err != nil {
			return fmt.Errorf("update product %d: %w", id, err)
		}
		p = productFrom(r)
		return s.audit.RecordTx(ctx, tx, "product.update", "product", id, map[string]any{"name": p.Name, "kind": p.Kind})
	})
	return p, err
}

// ArchiveProduct archives product id: it can no longer be added to offers, while existing offers and access grants
// keep it. Archiving an archived product changes nothing.
func (s *Service) ArchiveProduct(ctx context.Context, id int64) (Product, error) {
	var p Product
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		r, err := offerq.New(tx).ProductArchive(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			p, err = productByID(ctx, tx, id) // already archived, or not there
			return err
		}
		if err != nil {
			return fmt.Errorf("archive product %d: %w", id, err)
		}
		p = productFrom(r)
		return s.audit.RecordTx(ctx, tx, "product.archive", "product", id, map[string]any{"name": p.Name})
	})
	return p, err
}

// ProductNames maps product ids to names (archived included); unknown ids are left out.
func (s *Service) ProductNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	return s.ProductNamesTx(ctx, s.db, ids)
}

// ProductNamesTx is ProductNames inside the caller's transaction (no second connection while it holds one).
func (s *Service) ProductNamesTx(ctx context.Context, tx db.DBTX, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := offerq.New(tx).ProductNames(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("product names: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// Products lists products in id order, from f.AfterID on.
func (s *Service) Products(ctx context.Context, f ProductFilter) ([]Product, error) {
	rows, err := offerq.New(s.db).ProductList(ctx, offerq.ProductListParams{
		Query: likePattern(f.Query), IncludeArchived: f.IncludeArchived, AfterID: f.AfterID, Lim: pageSize(f.Limit),
	})
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	out := make([]Product, len(rows))
	for i, r := range rows {
		out[i] = productFrom(r)
	}
	return out, nil
}

// Product returns product id or an error wrapping check.ErrNotFound.
func (s *Service) Product(ctx context.Context, id int64) (Product, error) {
	return productByID(ctx, s.db, id)
}
