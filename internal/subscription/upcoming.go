package subscription

import "time"

// Upcoming is when subscription s is charged next and, for one past due that Bursar schedules, when its card is
// tried again; nil when none. own says whether Bursar charges it on its own schedule (OwnSchedule of its payment
// system). A subscription the gateway schedules is charged at its period's end (NextCharge); one Bursar schedules
// when its charge job looks at it next (NextChargeAt), unless that is a retry (past due; none once RetryDelays ran
// out) or the end of one that is cancelling, paused or done with its charges.
func (s Subscription) Upcoming(own bool) (next, retry *time.Time) {
	switch {
	case !own:
		return s.NextCharge(), nil
	case s.Status == StatusPastDue:
		if s.Retries > 0 && s.Retries <= len(RetryDelays) {
			return nil, s.NextChargeAt
		}
		return nil, nil // not tried again: cancelled when the charge job next looks
	case !s.Status.Live() || s.Status == StatusPaused || s.CancelAtPeriodEnd ||
		(s.MaxCharges > 0 && s.Charges >= s.MaxCharges):
		return nil, nil
	}
	return s.NextChargeAt, nil
}
