package osstest

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// action is what a fault does to one request.
type action struct {
	status int           // reply with this status without applying the request
	lose   bool          // apply the request, then cut the connection without a reply
	delay  time.Duration // apply the request, then hold the reply this long
}

type queued struct {
	op  Op // "" matches every operation
	n   int
	act action
}

// faults is the server's fault plan; the server's lock guards it.
type faults struct {
	queue []queued
	rate  float64
	rng   *rand.Rand
}

func (f *faults) init() { f.rng = rand.New(rand.NewPCG(1, 2)) }

// next returns the fault for a request of op: the first queued fault that matches, or with
// chaos on, a random one.
func (f *faults) next(op Op) action {
	for i := range f.queue {
		q := &f.queue[i]
		if q.op != "" && q.op != op {
			continue
		}
		act := q.act
		if q.n--; q.n == 0 {
			f.queue = append(f.queue[:i], f.queue[i+1:]...)
		}
		return act
	}
	if f.rate > 0 && f.rng.Float64() < f.rate {
		switch f.rng.IntN(3) {
		case 0:
			return action{status: 500}
		case 1:
			return action{status: 503}
		default:
			return action{lose: true}
		}
	}
	return action{}
}

func (s *Server) enqueue(op Op, n int, act action) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.queue = append(s.faults.queue, queued{op: op, n: n, act: act})
}

// FailNext answers the next n requests of op (every operation when op is "") with status, a 5xx,
// without applying them. Faults queue up in the order they were asked for.
func (s *Server) FailNext(op Op, n, status int) {
	if status < 500 || status > 599 {
		panic(fmt.Sprintf("osstest: FailNext status %d: want a 5xx", status))
	}
	s.enqueue(op, n, action{status: status})
}

// LoseNextReplies applies the next n requests of op (every operation when op is "") and then
// cuts their connections: the client never learns that they succeeded.
func (s *Server) LoseNextReplies(op Op, n int) { s.enqueue(op, n, action{lose: true}) }

// SlowNext applies the next n requests of op (every operation when op is "") and holds each
// reply for d, or until the client gives up or the server closes. A client that times out has
// the same problem as with a lost reply: the request took effect.
func (s *Server) SlowNext(op Op, n int, d time.Duration) { s.enqueue(op, n, action{delay: d}) }

// SetChaos makes every authenticated request, independently with probability rate, fail with 500
// or 503 without being applied, or be applied with its reply lost (one of the three at random).
// seed makes the choices repeatable for a given order of requests. SetChaos(0, 0) turns it off;
// queued faults come first either way.
func (s *Server) SetChaos(rate float64, seed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rate = rate
	s.faults.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}
