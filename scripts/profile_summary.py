#!/usr/bin/env python3
"""Summarises a CPU-sampling trace of the host (a speedscope file from `dotnet-trace convert`) as markdown: where the
host's threads were running rather than waiting. The sample profiler samples every thread, running or blocked; a
sample counts as busy when it is managed code (CPU_TIME) or native code that is not a known wait (a thread-pool or
monitor wait, epoll, a file watcher's read). Blocked-on-a-lock and stopped-for-a-GC samples are busy by this rule
and are reported as such, because that is where the latency goes too.
Usage: profile_summary.py SPEEDSCOPE_JSON COMMIT RUN_LINE"""
import collections, datetime, json, os, platform, sys

path, commit, run_line = sys.argv[1], sys.argv[2], sys.argv[3]
doc = json.load(open(path, encoding="utf-8"))
frames = [f["name"] for f in doc["shared"]["frames"]]
WAITS = ("LowLevelLifoSemaphore.WaitNative", "Monitor.Wait(", "WaitHandle.WaitOneNoCheck", "FileSystemWatcher", "SocketAsyncEngine.EventLoop",
         "ManualResetEventSlim.Wait", "Thread.Sleep", "Thread.Join", "Heartbeat.TimerLoop", "LowLevelLifoSemaphore.WaitForSignal")
PLUMBING = ("MethodBuilder", "InnerInvoke", "ExecuteWithThreadLocal", "AsyncStateMachineBox", "ExecutionContext", "ThreadPoolWorkQueue", "PortableThreadPool", "Thread.StartCallback",
            "Task.RunContinuations", "AwaitTaskContinuation", "TaskAwaiter", "Polly.", "SetExistingTaskResult", "TrySetResult", "ValueTask",
            "Process64", "Threads", "(Non-Activities)", "Thread (", "CPU_TIME", "UNMANAGED_CODE_TIME", "?!?", "MoveNext()")

# What each busy sample was for, by the first rule that matches its stack (a thread stopped for a collection first).
COMPONENTS = [
    ("stopped for a garbage collection", lambda names: "PollGC" in names[-1] or (len(names) > 1 and "PollGC" in names[-2])),
    ("Indent emulator (Indent's stand-in, in the host process only on a laptop)", lambda names: any("Approvals.Local.Emulator" in n for n in names)),
    ("decision webhook endpoint", lambda names: any("IndentWebhookEndpoint" in n for n in names)),
    ("start endpoint (token, directory look-up, start)", lambda names: any("ApprovalsApi" in n for n in names)),
    ("activities (petition create, verify and reset)", lambda names: any("Approvals.Core.Workflow" in n and "Activity" in n for n in names)),
    ("orchestrator episodes (worker side)", lambda names: any("OnRunOrchestratorAsync" in n for n in names)),
    ("durable engine: sidecar, in-memory service, worker streams", lambda names: any(k in n for n in names for k in ("TaskHubGrpcServer", "DurableTask.Core", "InProcessTestHost", "Microsoft.DurableTask", "Approvals.Local.Engine"))),
    ("HTTP and gRPC plumbing (Kestrel, HttpClient, sockets)", lambda names: any(k in n for n in names for k in ("Kestrel", "System.Net.", "Grpc."))),
]

def short(name):
    name = name.split("!", 1)[-1]
    return (name.split("(", 1)[0])[:110]

busy = 0.0
exclusive, inclusive, components = collections.Counter(), collections.Counter(), collections.Counter()
for profile in doc["profiles"]:
    stack, last = [], None
    for ev in profile["events"]:
        at = ev["at"]
        if last is not None and stack:
            names = [frames[i] for i in stack]
            if not any(w in n for n in names for w in WAITS):
                dt = at - last
                busy += dt
                leaf = names[-1]
                if leaf in ("CPU_TIME", "UNMANAGED_CODE_TIME") and len(names) > 1:
                    leaf = names[-2]
                exclusive[short(leaf)] += dt
                components[next((label for label, rule in COMPONENTS if rule(names)), "other (timers, logging, runtime)")] += dt
                for n in {short(n) for n in names if n and not any(p in n for p in PLUMBING)}:
                    inclusive[n] += dt
        last = at
        if ev["type"] == "O":
            stack.append(ev["frame"])
        elif stack:
            stack.pop()

now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
print(f"Run {now}, commit {commit}, on {platform.platform(terse=True)}, {os.cpu_count()} cores; `scripts/profile-host.sh`: {run_line}.")
print()
print(f"Busy thread time sampled in the host: {busy / 1000:.1f} s (over all threads; waits excluded as described above).")
print()
print("Sampling slows the host (compare the completed rate above with the unprofiled closed-loop row of the same")
print("concurrency in the block at the top): read the shares, not the times.")
print()
print("| busy time by what it was for | share |")
print("|---|---:|")
for name, t in components.most_common():
    print(f"| {name} | {100 * t / busy:.1f} % |")
print()
print("| top frames, exclusive (where the busy time is spent) | share of busy time |")
print("|---|---:|")
for name, t in exclusive.most_common(12):
    print(f"| `{name}` | {100 * t / busy:.1f} % |")
print()
print("| top frames, inclusive (what the busy time is for; async plumbing left out) | share of busy time |")
print("|---|---:|")
for name, t in inclusive.most_common(15):
    print(f"| `{name}` | {100 * t / busy:.1f} % |")
