// Package fault injects failures deterministically, so that every failure
// path of delivery and of the write-ahead log is tested directly rather than
// by chance.
//
// A [Plan] is a list of [Rule]s. Each rule matches calls of one operation
// ("put" on an object store, "write" on a log file, ...) whose object name
// contains a substring, counts the calls it matches, and acts on a chosen
// range of them: it fails the Nth call, the first N, or every call until the
// rule is removed (an outage with a recovery), delays them, writes only part
// of the data before failing (a short write on a full disk), or lets the
// call take effect and still reports a failure (a lost response, the cause
// of duplicates).
//
// Two wrappers apply a plan to the real components, which still do the
// work: [Store] wraps an objstore.Store and fails with the errors S3 answers
// ([S3Error]; [InternalError], [SlowDown], [AccessDenied], [NoSuchBucket]), classified by objstore.Permanent and named by
// objstore.ErrorCode exactly as real S3 failures are; [FS] is a
// wal.FileSystem whose files fail their writes, syncs, truncations and
// opens, typically with ENOSPC.
//
//	plan := fault.NewPlan()
//	up := plan.Add(fault.Rule{Op: fault.OpPut, Err: fault.SlowDown()})
//	store := fault.NewStore(local, plan) // every Put fails with 503 SlowDown ...
//	up()                                 // ... until the outage ends
//
// Plans are safe for concurrent use and hold no global state.
package fault
