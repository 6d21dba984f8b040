package server

import (
	"github.com/bursar/bursar/internal/audit"
	"github.com/bursar/bursar/internal/offer"
)

type catalogServices struct {
	offers   *offer.Service
	markdown *markdownRenderer
}

func newCatalogServices(d Deps, al *audit.Log) catalogServices {
	return catalogServices{offers: offer.NewService(d.Pool, al), markdown: newMarkdownRenderer()}
}
