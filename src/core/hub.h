/*
** hub.h: the native side of one Lua state. A hub knows the thread that
** owns the state, holds the completion queue for reports from other
** threads, and outlives the state for as long as any callback object
** still points at it: after the state closes it only answers "closed".
** The Lua binding supplies the deliver function; C tests supply their own.
*/
#ifndef CA_HUB_H
#define CA_HUB_H

#include <stdatomic.h>
#include "callback.h"
#include "platform.h"
#include "queue.h"
#include "visibility.h"
CA_HIDDEN_BEGIN

typedef struct ca_hub ca_hub;

/*
** Runs a report on the owning thread and returns the handler's HRESULT
** (for a queued report the caller has already been answered; the result
** only counts in the stats).
*/
typedef HRESULT (*ca_deliver_fn)(ca_hub *hub, ca_callback *cb, HRESULT status,
                                 int final, const BYTE *buf, DWORD len);

struct ca_hub {
  atomic_uint refs;
  atomic_int closed;
  ca_thread_id owner;
  ca_queue queue;
  ca_deliver_fn deliver;
  void *binding;            /* the deliver function's own data */
  atomic_ulong discarded;   /* queued reports dropped by close/disconnect */
  atomic_long callbacks;    /* callback objects alive on this hub */
};

/* refs = 1 for the caller; the calling thread becomes the owner. */
ca_hub *ca_hub_new(ca_deliver_fn deliver, void *binding);
void ca_hub_retain(ca_hub *h);
void ca_hub_release(ca_hub *h);

/* From now on every report is refused as closed; queued ones are dropped. */
void ca_hub_close(ca_hub *h);

static inline int ca_hub_is_closed(ca_hub *h) {
  return atomic_load_explicit(&h->closed, memory_order_acquire);
}

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

/* Delivers up to max queued reports (max < 0: all); returns how many. */
int ca_hub_dispatch(ca_hub *h, int max);

CA_HIDDEN_END
#endif
