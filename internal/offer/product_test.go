package offer_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/check"
	"github.com/bursar/bursar/internal/db/dbtest"
	"github.com/bursar/bursar/internal/offer"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func newService(t *testing.T) (*offer.Service, context.Context) {
	t.Helper()
	pool := dbtest.New(t)
	ctx := audit.WithActor(context.Background(), audit.Actor{Type: audit.ActorSystem, Label: "test"})
	return mustService(t, pool), ctx
}

func mustProduct(t *testing.T, s *offer.Service, ctx context.Context, in offer.ProductInput) offer.Product {
	t.Helper()
	p, err := s.CreateProduct(ctx, in)
	if err != nil {
		t.Fatalf("create product %q: %v", in.Name, err)
	}
	return p
}

// wantField fails unless err is a field error naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	e, ok := check.AsErrors(err)
	if !ok {
		t.Fatalf("err = %v, want a field error on %s", err, field)
	}
	if _, ok := e[field]; !ok {
		t.Fatalf("errors %v lack %s", e, field)
	}
}

func TestProductValidation(t *testing.T) {
	t.Parallel()
	s, ctx := newService(t)
	course := mustProduct(t, s, ctx, offer.ProductInput{Name: "Spanish A1", Kind: offer.KindCourse})
	webinar := mustProduct(t, s, ctx, offer.ProductInput{Name: "Q&A", Kind: offer.KindWebinar})
	tests := []struct {
		name  string
		in    offer.ProductInput
		field string
	}{
		{"EmptyName", offer.ProductInput{Name: "  ", Kind: offer.KindCourse}, "name"},
		{"LongName", offer.ProductInput{Name: strings.Repeat("n", 201), Kind: offer.KindCourse}, "name"},
		{"UnknownKind", offer.ProductInput{Name: "X", Kind: "book"}, "kind"},
		{"LongDescription", offer.ProductInput{Name: "X", Kind: offer.KindCourse, Description: strings.Repeat("d", 5001)}, "description"},
		{"BadURL", offer.ProductInput{Name: "X", Kind: offer.KindCourse, ExternalURL: "ftp://lms.example/x"}, "external_url"},
		{"LongExternalID", offer.ProductInput{Name: "X", Kind: offer.KindCourse, ExternalID: strings.Repeat("i", 201)}, "external_id"},
		{"ParentOnCourse", offer.ProductInput{Name: "X", Kind: offer.KindCourse, ParentID: course.ID}, "parent_id"},
		{"ParentNotCourse", offer.ProductInput{Name: "X", Kind: offer.KindModule, ParentID: webinar.ID}, "parent_id"},
		{"ParentUnknown", offer.ProductInput{Name: "X", Kind: offer.KindModule, ParentID: 999999}, "parent_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateProduct(ctx, tt.in)
			wantField(t, err, tt.field)
		})
	}
	all, err := s.Products(ctx, offer.ProductFilter{IncludeArchived: true})
	if err != nil || len(all) != 2 {
		t.Fatalf("after bad input: %d products, err %v; want the 2 good ones", len(all), err)
	}
}

func TestProductLifecycle(t *testing.T) {
	t.Parallel()
	s, ctx := newService(t)
	course := mustProduct(t, s, ctx, offer.ProductInput{Name: " Spanish A1 ", Kind: offer.KindCourse, ExternalURL: "https://lms.example/a1", ExternalID: "a1"})
	if course.Name != "Spanish A1" {
		t.Fatalf("name %q not trimmed", course.Name)
	}
	module := mustProduct(t, s, ctx, offer.ProductInput{Name: "Unit 1", Kind: offer.KindModule, ParentID: course.ID})
	if module.ParentID != course.ID {
		t.Fatalf("module parent %d", module.ParentID)
	}

	t.Run("CourseWithModulesKeepsKind", func(t *testing.T) {
		_, err := s.UpdateProduct(ctx, course.ID, func(in *offer.ProductInput) { in.Kind = offer.KindWebinar })
		wantField(t, err, "kind")
	})
	t.Run("Update", func(t *testing.T) {
		p, err := s.UpdateProduct(ctx, module.ID, func(in *offer.ProductInput) { in.Name = "Unit one" })
		if err != nil || p.Name != "Unit one" || p.ParentID != course.ID {
			t.Fatalf("update: %+v, %v", p, err)
		}
	})
	t.Run("UpdateUnknown", func(t *testing.T) {
		_, err := s.UpdateProduct(ctx, 999999, func(*offer.ProductInput) {})
		if !errors.Is(err, check.ErrNotFound) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("ArchiveAndNames", func(t *testing.T) {
		p, err := s.ArchiveProduct(ctx, module.ID)
		if err != nil || p.ArchivedAt == nil {
			t.Fatalf("archive: %+v, %v", p, err)
		}
		if _, err := s.ArchiveProduct(ctx, module.ID); err != nil {
			t.Fatalf("second archive: %v", err)
		}
		if _, err := s.ArchiveProduct(ctx, 999999); !errors.Is(err, check.ErrNotFound) {
			t.Fatalf("archive unknown: %v", err)
		}
		active, _ := s.Products(ctx, offer.ProductFilter{})
		if len(active) != 1 || active[0].ID != course.ID {
			t.Fatalf("active products %+v", active)
		}
		names, err := s.ProductNames(ctx, []int64{course.ID, module.ID, 999999})
		if err != nil || len(names) != 2 || names[module.ID] != "Unit one" {
			t.Fatalf("names %v, %v", names, err)
		}
		if _, err := s.Product(ctx, 999999); !errors.Is(err, check.ErrNotFound) {
			t.Fatalf("product unknown: %v", err)
		}
	})
}

func TestProductListKeyset(t *testing.T) {
	t.Parallel()
	s, ctx := newService(t)
	var ids []int64
	for _, n := range []string{"Alpha course", "Beta course", "Gamma webinar", "100% pure", "Delta course"} {
		ids = append(ids, mustProduct(t, s, ctx, offer.ProductInput{Name: n, Kind: offer.KindCourse}).ID)
	}
	var got []int64
	after := int64(0)
	for {
		page, err := s.Products(ctx, offer.ProductFilter{Query: "COURSE", AfterID: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			got = append(got, p.ID)
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	want := []int64{ids[0], ids[1], ids[4]}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("pages gave %v, want %v", got, want)
	}
	// A % typed in the search is a literal percent sign, not a wildcard.
	page, _ := s.Products(ctx, offer.ProductFilter{Query: "0%"})
	if len(page) != 1 || page[0].ID != ids[3] {
		t.Fatalf("search 0%%: %+v", page)
	}
}
