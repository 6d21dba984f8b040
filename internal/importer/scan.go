package importer

import (
	"context"
	"fmt"
	"hash/fnv"
	"hash/maphash"
	"strconv"
	"time"

	"github.com/bursar/bursar/internal/check"
)

// checked is a file read and every row checked, without the rows kept: what a commit needs to refuse it (the bad
// rows) or to read it again, a part of its rows at a time, exactly as checked (the catalog, zone and time).
type checked struct {
	content []byte
	delim   rune
	cat     catalog
	loc     *time.Location
	now     time.Time
	rows    int
	bad     []Row
}

// checkFile reads content and checks each row (as Preview), passing each to keep when not nil; a row repeating an
// earlier one's key is bad. It keeps only the bad rows, and of the others a 64-bit hash of their key with its line:
// a file of 100,000 rows costs a few megabytes, not a copy of its rows. (Two different keys with the same hash
// would report a repeat that is not: a chance of about one in 10^9 for 200,000 rows.)
func (s *Service) checkFile(ctx context.Context, content []byte, keep func(Row)) (checked, error) {
	school, err := s.deps.School.GetTx(ctx, s.db)
	if err != nil {
		return checked{}, err
	}
	cat, err := s.catalog(ctx)
	if err != nil {
		return checked{}, err
	}
	c := checked{content: content, cat: cat, loc: school.Location(), now: s.cfg.Now()}
	seen := map[uint64]int32{}
	seed := maphash.MakeSeed()
	t, err := readTable(content, func(t table, rec record) error {
		row := t.checkRow(rec, c.cat, c.loc, c.now)
		if len(row.Errors) == 0 {
			h := row.key().hash(seed)
			if first, dup := seen[h]; dup {
				row.Errors = map[string]string{ColRef: fmt.Sprintf("repeats line %d (the same reference, e-mail and product)", first)}
			} else {
				seen[h] = int32(row.Line)
			}
		}
		c.rows++
		if len(row.Errors) > 0 {
			c.bad = append(c.bad, row)
		}
		if keep != nil {
			keep(row)
		}
		return nil
	})
	if err != nil {
		return checked{}, err
	}
	c.delim = t.delim
	return c, nil
}

// hash is the key's 64-bit hash under seed.
func (k key) hash(seed maphash.Seed) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	_, _ = h.WriteString(k.ref)
	_ = h.WriteByte(0)
	_, _ = h.WriteString(k.email)
	_ = h.WriteByte(0)
	_, _ = h.WriteString(strconv.FormatInt(k.product, 10))
	return h.Sum64()
}

// partOf is the part (of parts) an e-mail's rows are committed in: the same for every commit, so that the part's
// lock serialises two commits of the same rows.
func partOf(email string, parts int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(email))
	return int(h.Sum32() % uint32(parts))
}

// eachOfPart reads c's file again and passes its rows of part (of parts), checked as they were, in file order, to
// each in slices of up to size; an error (from each, or a row that no longer checks) stops the reading.
func (c checked) eachOfPart(ctx context.Context, part, parts, size int, each func([]Row) error) error {
	batch := make([]Row, 0, size)
	_, err := readTable(c.content, func(t table, rec record) error {
		if partOf(check.NormalizeEmail(t.cell(rec, ColEmail)), parts) != part {
			return nil
		}
		row := t.checkRow(rec, c.cat, c.loc, c.now)
		if len(row.Errors) > 0 {
			return fmt.Errorf("line %d no longer checks: %v", row.Line, row.Errors)
		}
		batch = append(batch, row)
		if len(batch) < size {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := each(batch)
		batch = batch[:0]
		return err
	})
	if err != nil || len(batch) == 0 {
		return err
	}
	return each(batch)
}
