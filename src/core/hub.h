/*
** hub.h: the native side of one Lua state, and a transport only. A hub
** knows the thread that owns the state, carries items from other threads
** to it through the completion queue (reports for a target, or posted
** tasks), and outlives the state for as long as any target still points
** at it: after the state closes it only answers "closed". What an item
** means, and whether it may be delivered, is its target's to say (see
** ca_target in queue.h); the hub calls no callback function. The Lua
** binding supplies the deliver function; C tests supply their own.
*/
#ifndef CA_HUB_H
#define CA_HUB_H

#include <stdint.h>
#include "queue.h"
#include "wpf.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

/* Opaque outside hub.c. */
typedef struct ca_hub ca_hub;

/*
** Runs a report for target to on the owning thread and returns the
** handler's HRESULT (for a queued report the caller has already been
** answered; the result only counts in the stats).
*/
typedef HRESULT (*ca_deliver_fn)(ca_hub *hub, ca_target *to, HRESULT status,
                                 int final, const BYTE *buf, DWORD len);

/* refs = 1 for the caller; the calling thread becomes the owner. */
ca_hub *ca_hub_new(ca_deliver_fn deliver, void *binding);
void ca_hub_retain(ca_hub *h);
void ca_hub_release(ca_hub *h);

/* From now on every report is refused as closed; queued ones are dropped. */
void ca_hub_close(ca_hub *h);

int ca_hub_is_closed(ca_hub *h);

/*
** The owning thread is about to wait for threads that may be blocked
** reporting into a full queue (see ca_queue_hold): hold, wait, unhold.
*/
void ca_hub_hold(ca_hub *h);
void ca_hub_unhold(ca_hub *h);

/*
** lua_close has begun: reports from other threads are refused as closed
** from now on (the blocked ones at once) and the queued ones dropped,
** while the owning thread's own reports still reach their handlers until
** ca_hub_close.
*/
void ca_hub_closing(ca_hub *h);

/* Delivers up to max queued reports (max < 0: all) and runs the posted
   tasks met on the way; returns how many of both. */
int ca_hub_dispatch(ca_hub *h, int max);

/*
** The same in steps, for a binding that delivers many reports inside one
** protected call: ca_hub_begin, then ca_hub_next until it returns 0, each
** report handed to ca_hub_done once delivered (or failed), then
** ca_hub_end. A run lives on the caller's stack, so nested dispatches
** (a handler that dispatches) each keep their own references.
*/
typedef struct ca_hub_run {
  ca_target *held;            /* queued items' references, released in */
  unsigned nheld;             /* runs per target */
  unsigned long ran;          /* posted tasks run so far (they may have
                                 run code that changed what the consumer
                                 has cached) */
} ca_hub_run;

void ca_hub_begin(ca_hub *h, ca_hub_run *run);
/* 1: the next report to deliver; 0 when none. Items their target
   refuses are dropped here and posted tasks run here (counted in
   run->ran); neither is returned. */
int ca_hub_next(ca_hub *h, ca_hub_run *run, ca_report *r);
void ca_hub_done(ca_hub *h, ca_report *r);
void ca_hub_end(ca_hub *h, ca_hub_run *run);
/* The owning thread: waits up to ms (< 0: forever) unless something is
   queued already; 1 when something is. */
int ca_hub_wait(ca_hub *h, int64_t ms);
/* Readable while reports are queued (an event handle on Windows). */
intptr_t ca_hub_fd(ca_hub *h);
size_t ca_hub_pending(ca_hub *h);
void ca_hub_get_limits(ca_hub *h, ca_queue_limits *l);
void ca_hub_set_limits(ca_hub *h, const ca_queue_limits *l);
void *ca_hub_binding(ca_hub *h);      /* the deliver function's data */
long ca_hub_callbacks(ca_hub *h);     /* callback objects alive on it */
uint64_t ca_hub_discarded(ca_hub *h);  /* dropped by close */

/* For the targets (callback objects, a provider's doorbell): */
int ca_hub_owned(ca_hub *h);          /* is this the owning thread? */
/* Any thread: queues a report for to, which must already hold the
   item's reference; a CA_Q_* result. */
int ca_hub_push(ca_hub *h, ca_target *to, HRESULT status, int final,
                const BYTE *buf, DWORD len);
/* Any thread: queues a task for to; its take runs it on the owning
   thread and answers CA_TAKE_RAN. The same reference rule and result. */
int ca_hub_post(ca_hub *h, ca_target *to);
/* Owning thread: hands a report to the deliver function at once. */
HRESULT ca_hub_deliver(ca_hub *h, ca_target *to, HRESULT status, int final,
                       const BYTE *buf, DWORD len);
void ca_hub_count_callbacks(ca_hub *h, int delta);

CA_HIDDEN_END
#endif
