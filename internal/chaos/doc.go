// Package chaos is Bursar's chaos harness; it has no code of its own, only the test TestChaos (`make chaos`).
//
// The harness builds the real binary and runs several `bursar serve` processes on one fresh database, with
// stripe-mock behind a recording proxy as Stripe's API and a slow, sometimes failing SMTP server. Visitors open N
// orders through the real checkout; each order's signed checkout.session.completed is delivered three times,
// shuffled, by concurrent senders that retry like a gateway; meanwhile one process is SIGKILLed and restarted and
// the servers' database connections are terminated twice. Then it counts: orders completed, grants, e-mails at the
// SMTP server by Message-ID, exceptions, stored events — each exactly as expected, none lost, none doubled.
//
// It runs only when BURSAR_CHAOS_N is set (the number of orders); docs/RELIABILITY.md has the figures.
package chaos
