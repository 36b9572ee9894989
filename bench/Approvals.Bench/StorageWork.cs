using System.Diagnostics;
using Approvals.Local.Emulator;
using Approvals.Local.Engine;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Bench;

/// <summary>What one approval (or one poll, or an idle hour) costs on the Azure Storage backend: storage requests by
/// service and kind as Azurite receives them (<see cref="StorageCounter"/>), orchestrator episodes and activity
/// executions (the engine's work items), and Indent calls (the emulator's counters).</summary>
public sealed record StorageWorkResult(string Path, string Unit, int Count, IReadOnlyDictionary<string, double> Storage, double Episodes, double Activities, double IndentCalls)
{
    /// <summary>When the row was measured in several windows on the same host: each window's storage requests per unit.</summary>
    public IReadOnlyList<double> Windows { get; init; } = [];

    public double StorageTotal => Storage.Values.Sum();

    public double Get(string kind) => Storage.TryGetValue(kind, out var v) ? v : 0;
}

public static class StorageWork
{
    /// <summary>The storage request kinds, in the report's column order.</summary>
    public static readonly string[] Kinds = ["queue.put", "queue.dequeue", "queue.dequeue.empty", "queue.delete", "queue.update", "table.read", "table.write", "blob.read", "blob.write"];

    /// <summary>The traced fast-path approval of the host as configured (every request in order, with the workflow's moments).</summary>
    public static IReadOnlyList<TracedRequest> Trace { get; private set; } = [];

    sealed record Sample(Dictionary<string, long> Storage, long Episodes, long Activities, long Indent, long Gets, TimeSpan At);

    /// <summary>Settings for a host on Azurite with the engine's own defaults, as deployed, this poll schedule and
    /// <paramref name="extra"/> (a measured variant) on top.</summary>
    internal static Dictionary<string, string?> AsDeployed(int pollInitial, int pollMax, IReadOnlyDictionary<string, string?>? extra)
    {
        var settings = Scenarios.Settings("azurite", pollInitial, pollMax);
        settings.Remove("APPROVALS_ENGINE_VISIBILITY_TIMEOUT_SECONDS"); // the host's own defaults, as deployed
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }

        return settings;
    }

    /// <summary>Runs the three measurements on one host at the default poll schedule, human-paced (one approval at a time):
    /// the host idle (its background: queue polling, partition leases), (a) approvals decided through the webhook,
    /// (b) the same with every webhook dropped (poll only), (c) undecided approvals waiting, per poll. Each figure is the
    /// window's count minus the idle rate over the same time.</summary>
    public static async Task<List<StorageWorkResult>> MeasureAsync(StorageCounter counter, bool smoke, string label, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var settings = AsDeployed(2, 300, extra);
        settings["AzureWebJobsStorage"] = counter.ConnectionString;

        await using var host = await BenchHost.StartAsync(settings);
        var engine = host.Services.GetRequiredService<DurableEngine>().Service;
        var clock = Stopwatch.StartNew();
        Sample Take()
        {
            var calls = BenchHost.Calls();
            return new(counter.Snapshot(), engine.OrchestratorEpisodes, engine.ActivityExecutions, calls.Values.Sum(), calls.GetValueOrDefault("petitions.get"), clock.Elapsed);
        }

        var n = smoke ? 3 : 20;
        var waiting = smoke ? 3 : 10;
        var settle = TimeSpan.FromSeconds(5); // a fast approval's first poll timer (2 s) still fires after it completed
        host.Know(Enumerable.Range(0, 2 * n + waiting + 2).Select(i => $"sw{i}").Concat(Enumerable.Range(0, 3).SelectMany(w => Enumerable.Range(1, n).Select(i => $"swa{w}x{i}"))).Concat(Enumerable.Range(1, 10).Select(i => $"swl{i}")));

        await OneAsync(host, "sw0"); // warm-up: queues and tables exist, code is jitted
        await Task.Delay(settle);
        var idle0 = Take();
        // Long enough to hold several polls at the cap (the idle rate is what an always-ready instance pays all day).
        var cap = host.Services.GetRequiredService<EngineOptions>().MaxQueuePollingInterval;
        await Task.Delay(smoke ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(Math.Max(30, 4 * cap.TotalSeconds)));
        var idle1 = Take();
        var idleSeconds = (idle1.At - idle0.At).TotalSeconds;
        Dictionary<string, double> IdleRate() => Kinds.ToDictionary(k => k, k => (idle1.Storage.GetValueOrDefault(k) - idle0.Storage.GetValueOrDefault(k)) / idleSeconds);
        var idleRate = IdleRate();

        StorageWorkResult Between(string path, string unit, Sample a, Sample b, int count) => new(
            path,
            unit,
            count,
            Kinds.ToDictionary(k => k, k => Math.Max(0, b.Storage.GetValueOrDefault(k) - a.Storage.GetValueOrDefault(k) - idleRate[k] * (b.At - a.At).TotalSeconds) / count),
            (b.Episodes - a.Episodes) / (double)count,
            (b.Activities - a.Activities) / (double)count,
            (b.Indent - a.Indent) / (double)count);

        var results = new List<StorageWorkResult>
        {
            new($"{label}: host idle (background, not per approval)", "host-hour", 1, idleRate.ToDictionary(p => p.Key, p => p.Value * 3600), (idle1.Episodes - idle0.Episodes) * 3600 / idleSeconds, (idle1.Activities - idle0.Activities) * 3600 / idleSeconds, (idle1.Indent - idle0.Indent) * 3600 / idleSeconds),
        };

        // (a) in several windows of n approvals on the same host: the row is all of them, and the spread between windows
        // says how far one window's figure can be trusted (empty polls depend on timing).
        var windows = smoke ? 1 : 3;
        var a0 = Take();
        var perWindow = new List<double>();
        for (var w = 0; w < windows; w++)
        {
            var w0 = Take();
            for (var i = 1; i <= n; i++)
            {
                await OneAsync(host, $"swa{w}x{i}");
            }

            await Task.Delay(settle);
            perWindow.Add(Between("", "approval", w0, Take(), n).StorageTotal);
        }

        results.Add(Between($"{label}: (a) webhook fast path", "approval", a0, Take(), n * windows) with { Windows = perWindow });

        // (a′) the same, each approval alone: the next starts only once the last one's poll timer has fired and its
        // pollers have backed off again, so nothing is shared — what a trickle of approvals costs each.
        var alone = smoke ? 1 : 10;
        var l0 = Take();
        for (var i = 1; i <= alone; i++)
        {
            await OneAsync(host, $"swl{i}");
            await Task.Delay(settle);
        }

        results.Add(Between($"{label}: (a′) the same, each approval alone ({settle.TotalSeconds:0} s apart)", "approval", l0, Take(), alone));

        // One more fast-path approval, outside every window, with each request recorded in order (the host as
        // configured only: the report shows that one).
        if (extra is not { Count: > 0 })
        {
            counter.StartTrace();
            await OneAsync(host, $"sw{2 * n + waiting + 1}", counter.Mark);
            await Task.Delay(settle);
            counter.Mark("settled");
            Trace = counter.StopTrace();
        }

        host.Faults.Set(new FaultSpec { DropWebhooks = int.MaxValue });
        var b0 = Take();
        for (var i = n + 1; i <= 2 * n; i++)
        {
            await OneAsync(host, $"sw{i}");
        }

        await Task.Delay(settle);
        results.Add(Between($"{label}: (b) poll only (webhooks dropped)", "approval", b0, Take(), n));

        // (c) undecided approvals, per poll: every poll of the default schedule in the first minute (at 2, 6, 14, 30, 62 s).
        var ids = new List<string>();
        for (var i = 2 * n + 1; i <= 2 * n + waiting; i++)
        {
            var id = await host.StartAsync($"sw{i}");
            await host.PetitionAsync(id);
            ids.Add(id);
        }

        var c0 = Take();
        await Task.Delay(TimeSpan.FromSeconds(smoke ? 8 : 64));
        var c1 = Take();
        var polls = (int)(c1.Gets - c0.Gets);
        results.Add(Between($"{label}: (c) waiting, undecided", "poll", c0, c1, Math.Max(1, polls)));
        foreach (var id in ids)
        {
            await host.Durable.RaiseEventAsync(id, Core.Workflow.ApprovalEvents.Cancel, new Core.Workflow.CancelRequest("benchmark over", "bench@local"));
        }

        // Let them close their petitions before the host stops (outside every window).
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await Task.WhenAll(ids.Select(id => host.CompletionAsync(id, bound.Token)));
        return results;
    }

    /// <summary>One approval, decided as soon as its petition exists; waits on the directory's own log (not on the task
    /// hub, whose status reads would be counted as the approval's storage work).</summary>
    static async Task OneAsync(BenchHost host, string user, Action<string>? mark = null)
    {
        mark?.Invoke("start requested");
        var id = await host.StartAsync(user);
        mark?.Invoke("202 returned");
        var petition = await host.PetitionAsync(id);
        mark?.Invoke("petition exists; approver grants");
        host.Approve(petition);
        var clock = Stopwatch.StartNew();
        while (!host.Users().TryGetValue(user, out var u) || u.LastResetAt is null)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new InvalidOperationException($"approval {id} did not act within 2 minutes");
            }

            await Task.Delay(20);
        }

        mark?.Invoke("password reset (directory log)");
    }
}

/// <summary>The storage-work tables of the report.</summary>
public static class StorageWorkReport
{
    static string F(double v, string format = "0.0") => v.ToString(format, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>One fast-path approval, request by request: every storage request from the start request until five
    /// seconds after the reset, in order, with the workflow's moments; runs of empty dequeues are one row.</summary>
    static void AppendTrace(System.Text.StringBuilder md, IReadOnlyList<TracedRequest> trace, StorageWorkResult idle)
    {
        if (trace.Count == 0)
        {
            return;
        }

        static string Target(string t)
        {
            var dash = t.IndexOf('-', StringComparison.Ordinal);
            return t == "$batch" ? "History (entity batch)"
                : dash > 0 ? t[(dash + 1)..] // bench…-control-00 → control-00
                : t.Length > 16 && t.StartsWith("bench", StringComparison.Ordinal) ? t[17..] // bench + 12 hex of the task hub
                : t;
        }

        var start = trace[0].At;
        var window = (trace[^1].At - start).TotalSeconds;
        md.AppendLine("#### One fast-path approval, request by request");
        md.AppendLine();
        md.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"One more approval on the same host after the windows above, decided as soon as its petition exists, with every request the counting proxy saw from the start request until {F(window, "0.0")} s later, in order; *italic* rows are the workflow's moments as the benchmark saw them. Empty dequeues in a row are one line. The host's idle rate over the same time would be {F((idle.Get("queue.dequeue.empty")) * window / 3600)} empty dequeues and {F((idle.Get("table.read") + idle.Get("table.write")) * window / 3600)} table requests (partition lease upkeep), which the per-approval figures subtract.");
        md.AppendLine();
        md.AppendLine("| ms | request | queue or table |");
        md.AppendLine("|---:|---|---|");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < trace.Count; i++)
        {
            var t = trace[i];
            var ms = F((t.At - start).TotalMilliseconds, "0");
            if (t.Kind == "mark")
            {
                md.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"| {ms} | *{t.Target}* | |");
                continue;
            }

            counts[t.Kind] = counts.GetValueOrDefault(t.Kind) + 1;
            if (t.Kind != "queue.dequeue.empty")
            {
                md.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"| {ms} | {t.Kind} | {Target(t.Target)} |");
                continue;
            }

            var run = new List<TracedRequest> { t };
            while (i + 1 < trace.Count && trace[i + 1].Kind == "queue.dequeue.empty")
            {
                run.Add(trace[++i]);
                counts[t.Kind]++;
            }

            var last = F((run[^1].At - start).TotalMilliseconds, "0");
            var queues = string.Join(", ", run.GroupBy(r => Target(r.Target)).Select(g => g.Count() == 1 ? g.Key : $"{g.Key} ×{g.Count()}"));
            md.AppendLine(run.Count == 1 ? $"| {ms} | queue.dequeue.empty | {queues} |" : $"| {ms}–{last} | {run.Count} × queue.dequeue.empty | {queues} |");
        }

        md.AppendLine();
        md.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"In all: {string.Join(", ", StorageWork.Kinds.Where(counts.ContainsKey).Concat(counts.Keys.Except(StorageWork.Kinds)).Select(k => $"{counts[k]} {k}"))} ({counts.Values.Sum()} requests).");
        md.AppendLine();
    }

    public static void Append(System.Text.StringBuilder md, IReadOnlyList<StorageWorkResult> results)
    {
        if (results.Count == 0)
        {
            return;
        }

        md.AppendLine("### Storage work per approval (Azure Storage backend, on Azurite)");
        md.AppendLine();
        md.AppendLine("Every storage request the host made, counted by a forwarding proxy in front of Azurite (`StorageCounter`: what the storage account sees, by service and kind), minus the host's idle rate over the same time; orchestrator episodes and activity executions from the engine's work items; Indent calls from the emulator. Human-paced: one approval at a time (in (a) each right after the last, in (a′) each alone, once the last one's timer has fired and its pollers have backed off), decided as soon as its petition exists, default poll schedule (2 s doubling to 300 s), the host's own engine settings. (c) counts every poll of the first minute of undecided approvals (at 2, 6, 14, 30, 62 s), per poll.");
        md.AppendLine();
        md.AppendLine("| measured | per | queue put | dequeue (message) | dequeue (empty) | queue delete | queue update | table read | table write | blob read | blob write | **storage requests** | orchestrator episodes | activity executions | Indent calls |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            var format = r.Unit == "host-hour" ? "0" : "0.0";
            md.Append(System.Globalization.CultureInfo.InvariantCulture, $"| {r.Path} | {r.Unit} (n={r.Count}) |");
            foreach (var k in StorageWork.Kinds)
            {
                md.Append(System.Globalization.CultureInfo.InvariantCulture, $" {F(r.Get(k), format)} |");
            }

            md.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $" **{F(r.StorageTotal, format)}** | {F(r.Episodes, format)} | {F(r.Activities, format)} | {F(r.IndentCalls, format)} |");
        }

        md.AppendLine();
        foreach (var r in results.Where(r => r.Windows.Count > 1))
        {
            md.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"{r.Path}: measured in {r.Windows.Count} windows of {r.Count / r.Windows.Count} approvals each on the same host, {string.Join(", ", r.Windows.Select(v => F(v)))} storage requests per approval (the row is all {r.Count}).");
            md.AppendLine();
        }

        var label = results[0].Path[..results[0].Path.IndexOf(':', StringComparison.Ordinal)];
        var fast = results.FirstOrDefault(r => r.Path == label + ": (a) webhook fast path");
        var poll = results.FirstOrDefault(r => r.Path == label + ": (c) waiting, undecided");
        var idle = results.FirstOrDefault(r => r.Path.StartsWith(label + ": host idle", StringComparison.Ordinal));
        if (fast is null || poll is null || idle is null)
        {
            return;
        }

        AppendTrace(md, StorageWork.Trace, idle);
        md.AppendLine("#### What to multiply by the price list");
        md.AppendLine();
        md.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"From the `{label}` rows above. Azure Storage bills queue, table and blob operations per 10,000 transactions and Flex Consumption bills executions per million (Microsoft's price pages, azure.microsoft.com/pricing/details/storage/ and …/functions/, are not reachable from the machine that measured this: multiply by your region's list price). Functions executions = orchestrator episodes + activity executions. A day of waiting is the default poll schedule's first day (2 s doubling to the 300 s cap: {Approvals.Core.Workflow.PollSchedule.PollsBefore(TimeSpan.FromDays(1), 2, 300)} polls) times the measured cost of one poll.");
        md.AppendLine();
        md.AppendLine("| per | storage transactions | of which queue | table | blob | Functions executions | Indent calls |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        var pollsPerDay = Approvals.Core.Workflow.PollSchedule.PollsBefore(TimeSpan.FromDays(1), 2, 300);
        void Row(string per, StorageWorkResult r, double times)
        {
            double Sum(string prefix) => r.Storage.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).Sum(p => p.Value) * times;
            md.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"| {per} | {F(r.StorageTotal * times, "N0")} | {F(Sum("queue."), "N0")} | {F(Sum("table."), "N0")} | {F(Sum("blob."), "N0")} | {F((r.Episodes + r.Activities) * times, "N0")} | {F(r.IndentCalls * times, "N0")} |");
        }

        Row("1,000 approvals decided through the webhook", fast, 1000);
        if (results.FirstOrDefault(r => r.Path.StartsWith(label + ": (a′)", StringComparison.Ordinal)) is { } lone)
        {
            Row("1,000 approvals decided through the webhook, each alone on a quiet host", lone, 1000);
        }

        Row("1,000 approval-days of waiting, undecided", poll, 1000.0 * pollsPerDay);
        Row("one host instance running idle for a day", idle, 24);
        md.AppendLine();

        md.AppendLine("#### The poll schedule: an operator's choice, with its price");
        md.AppendLine();
        md.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"`APPROVALS_POLL_MAX_SECONDS` caps the fallback poll (the webhook is the fast path). Polls per day come from the schedule (`PollSchedule`, first day, from 2 s doubling to the cap); each poll's cost is the measured (c) row: {F(poll.StorageTotal)} storage requests, {F(poll.Episodes + poll.Activities)} Functions executions, {F(poll.IndentCalls)} Indent call. A webhook that never arrives is noticed at the next poll: at most one cap later.");
        md.AppendLine();
        md.AppendLine("| poll cap | polls per undecided approval-day | Indent calls per approval-day | storage requests per approval-day | Functions executions per approval-day | longest a lost webhook goes unnoticed |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var cap in new[] { 60, 120, 300, 600, 900, 1800, 3600 })
        {
            var polls = Approvals.Core.Workflow.PollSchedule.PollsBefore(TimeSpan.FromDays(1), 2, cap);
            md.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"| {(cap == 300 ? "**300 s (default)**" : cap + " s")} | {polls:N0} | {F(polls * poll.IndentCalls, "N0")} | {F(polls * poll.StorageTotal, "N0")} | {F(polls * (poll.Episodes + poll.Activities), "N0")} | {(cap < 120 ? cap + " s" : cap / 60 + " min")} |");
        }

        md.AppendLine();
    }

    /// <summary>The queue-polling cap's table: per measured cap, what an idle host pays a day, what a fast approval costs,
    /// and how long a decision enqueued by another instance waited (<see cref="Pickup"/>).</summary>
    public static void AppendPollingCaps(System.Text.StringBuilder md, IReadOnlyList<StorageWorkResult> results, IReadOnlyList<PickupResult> pickups)
    {
        if (pickups.Count == 0)
        {
            return;
        }

        md.AppendLine("#### The queue-polling cap: an operator's choice, with its price");
        md.AppendLine();
        md.AppendLine("How long an idle worker waits between polls of its control and work-item queues at most (Durable Functions' `maxQueuePollingInterval` in host.json; `APPROVALS_ENGINE_MAX_QUEUE_POLLING_MS` locally). Per cap, from the rows above with that setting: what a running host instance pays while idle, what a fast approval costs (one right after another, and alone: a longer cap lengthens the back-off an approval alone pays for), and — measured with the decision enqueued by a second storage client, as the webhook's instance does in Azure, after the host was quiet long enough to back off to the cap — how long the decision waited before the reset ran.");
        md.AppendLine();
        md.AppendLine("| polling cap | idle host: storage requests per day | fast path, one after another: per approval | fast path, each alone: per approval | decision from another instance → reset: median | longest | samples |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in pickups.OrderBy(p => p.CapMs))
        {
            var idle = results.FirstOrDefault(r => r.Path == p.Label + ": host idle (background, not per approval)");
            var fast = results.FirstOrDefault(r => r.Path == p.Label + ": (a) webhook fast path");
            var lone = results.FirstOrDefault(r => r.Path.StartsWith(p.Label + ": (a′)", StringComparison.Ordinal));
            var sorted = p.Seconds.Order().ToList();
            var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
            var cap = p.CapMs % 1000 == 0 ? $"{p.CapMs / 1000} s" : $"{p.CapMs} ms";
            md.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"| {(p.Label == "as configured" ? $"**{cap} (as configured)**" : cap)} | {(idle is null ? "–" : F(idle.StorageTotal * 24, "N0"))} | {(fast is null ? "–" : F(fast.StorageTotal))} | {(lone is null ? "–" : F(lone.StorageTotal))} | {F(median, "0.00")} s | {F(sorted[^1], "0.00")} s | {sorted.Count} |");
        }

        md.AppendLine();
    }
}
