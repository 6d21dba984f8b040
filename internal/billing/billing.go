// Package billing is the pure scheduling core of money billed over time (issue 14: tuition enrollments,
// installment plans and their receipts). It owns no tables and touches no database, HTTP, templates or River:
// it only computes, so that the later slices (enrollments and receipts in PostgreSQL, the periodic River job that
// issues each period's receipt exactly once, the admin screens, the API and the public offer page) all ask the same
// functions the same questions.
//
// What it knows:
//
//   - Split divides a price into installment parts that add up exactly to it, the rounding remainder on the first
//     part, the others equal (Money is already in the currency's minor units, so JPY splits whole yen and KWD
//     thousandths).
//   - Schedule says when each period is due: every N weeks, every N months on a chosen day of month (a day past the
//     month's end is its last day), or every N years, at the start of the due day in the school's time zone, for a
//     fixed number of periods or without end. A tuition's periods and an installment plan's parts (part 0 at
//     checkout) use the same type. Nothing here reads the clock: callers pass the instant (their injected clock's
//     now), so tests move time.
//   - ReceiptNumber and ParseReceiptNumber are the receipt numbers' format (R-2027-000123). The gapless sequence per
//     school and year that hands out the numbers needs the database and belongs to the receipts slice.
package billing
