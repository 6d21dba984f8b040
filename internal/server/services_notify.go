package server

import (
	"github.com/bursar/bursar/internal/jobs"
	"github.com/bursar/bursar/internal/notify"
)

type notifyServices struct {
	notify *notify.Service
	jobs   notify.Inserter // enqueues River jobs in the caller's transaction
}

func newNotifyServices(d Deps) (notifyServices, error) {
	ins := d.Jobs
	if ins == nil {
		c, err := jobs.NewInserter(d.Pool, d.Log)
		if err != nil {
			return notifyServices{}, err
		}
		ins = c
	}
	return notifyServices{notify: notify.NewService(d.Pool, ins), jobs: ins}, nil
}
