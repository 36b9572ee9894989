using System.Collections.Concurrent;
using System.Diagnostics;
using Approvals.Core.Workflow;
using Approvals.Local.Emulator;

namespace Approvals.Bench;

public sealed record LatencyResult(string Engine, string Path, int Concurrency, int Approvals, double[] WebhookToActionMs, double[] DecisionToActionMs, IReadOnlyDictionary<string, double> CallsPerApproval, int Failures, double Seconds = double.NaN, double HostCpuSeconds = double.NaN, double LoadCpuSeconds = double.NaN)
{
    /// <summary>Approvals completed per second over the run: with N always in flight, latency is about N divided by this.</summary>
    public double PerSecond => Approvals / Seconds;
}

public sealed record ThroughputResult(string Engine, int Started, double Seconds, int Completed, int ResetOnce) { public double PerSecond => Completed / Seconds; }

public sealed record WaitingResult(string Engine, int Pending, double ManagedMbBefore, double ManagedMbAfter, double WorkingSetMbBefore, double WorkingSetMbAfter, double IdleCpuPercent, double IdleWindowSeconds);

public sealed record CallsResult(string Engine, string Path, double DecisionAfterSeconds, int Approvals, IReadOnlyDictionary<string, double> CallsPerApproval, int PollsPredicted);

/// <summary>The benchmark scenarios. Each starts its own host, so figures do not bleed into each other.</summary>
public static class Scenarios
{
    public static Dictionary<string, string?> Settings(string engine, int pollInitial, int pollMax, int? queuePollingMs = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["APPROVALS_POLL_INITIAL_SECONDS"] = pollInitial.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["APPROVALS_POLL_MAX_SECONDS"] = pollMax.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (engine == "azurite")
        {
            settings["AzureWebJobsStorage"] = "UseDevelopmentStorage=true";
            settings["TASKHUB_NAME"] = "bench" + Guid.NewGuid().ToString("N")[..12];
            settings["APPROVALS_ENGINE_VISIBILITY_TIMEOUT_SECONDS"] = "300";
            if (queuePollingMs is { } ms)
            {
                settings["APPROVALS_ENGINE_MAX_QUEUE_POLLING_MS"] = ms.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return settings;
    }

    static Dictionary<string, double> PerApproval(Dictionary<string, long> before, Dictionary<string, long> after, int approvals)
    {
        var kinds = new[] { "petitions.create", "petitions.get", "claims.create", "petitions.list" };
        return kinds.ToDictionary(k => k, k => (after.GetValueOrDefault(k) - before.GetValueOrDefault(k)) / (double)approvals);
    }

    /// <summary>Decision-to-action latency at a given concurrency, with the host alone in its own process (as in
    /// production) and this benchmark only its client: <paramref name="concurrency"/> approvals kept in flight, each
    /// approved by an emulator rule the moment its petition exists. Afterwards, from the host's own records: the
    /// approval's time from the petition's <c>access/approve</c> event, the first signed decision webhook from the
    /// emulator's delivery log, the reset from the directory's log file.</summary>
    public static async Task<LatencyResult> LatencyAsync(string engine, int concurrency, int total, bool webhooks, int? queuePollingMs = null, string? profilePath = null)
    {
        // With webhooks, polls start at 60 s so only the webhook can finish an approval; without, the seed's 2 s schedule.
        var users = Enumerable.Range(0, total).Select(i => $"lat{i}").ToList();
        await using var host = await HostProcess.StartAsync(Settings(engine, webhooks ? 60 : 2, webhooks ? 60 : 300, queuePollingMs), users);
        if (!webhooks)
        {
            await host.AdminPutAsync("faults", $$"""{"dropWebhooks":{{int.MaxValue}}}""");
        }

        await host.AdminPutAsync("rules", """{"rules":[{"pattern":"*","decision":"approve","afterSeconds":0}]}""");
        var ids = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var failures = 0;
        using var gate = new SemaphoreSlim(concurrency);
        var before = await host.CallsAsync();
        var profile = profilePath is null ? null : HostProfile.Start(host.ProcessId, profilePath);
        var cpu = host.StartCpuWindow();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(users.Select(async user =>
        {
            await gate.WaitAsync();
            try
            {
                ids[user] = await host.StartApprovalAsync(user);
                await host.ResetAsync(user).WaitAsync(TimeSpan.FromMinutes(5));
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException)
            {
                Console.Error.WriteLine("approval failed: " + e.Message);
                Interlocked.Increment(ref failures);
            }
            finally
            {
                gate.Release();
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        var (hostCpu, loadCpu) = cpu.Seconds();
        if (profile is not null)
        {
            await profile.DisposeAsync();
        }

        var after = await host.CallsAsync();

        var (fromWebhook, fromDecision) = await host.LatenciesAsync(ids);
        return new LatencyResult(OutOfProcess(engine), webhooks ? "webhook" : "poll only (baseline)", concurrency, total, fromWebhook, fromDecision, PerApproval(before, after, total), failures, seconds, hostCpu, loadCpu);
    }

    static string OutOfProcess(string engine) =>
        engine == "memory" ? "in memory (host in its own process)" : "Azure Storage on Azurite (host in its own process)";

    /// <summary>Decision-to-action latency with decisions made the way people make them — spread in time — rather than
    /// as fast as the host can take them: in each round, <paramref name="waiting"/> approvals are started and wait for
    /// their approver (their petitions exist, the workflows sleep); then the approver decides them one after another,
    /// <paramref name="decisionsPerSecond"/> a second (0: all at the same moment), over the emulator's Indent API.
    /// The clock is the same as <see cref="LatencyAsync"/>'s: the petition's <c>access/approve</c> event to the reset in
    /// the directory's log.</summary>
    public static async Task<LatencyResult> OpenLoopLatencyAsync(string engine, int waiting, double decisionsPerSecond, int rounds)
    {
        var total = waiting * rounds;
        var users = Enumerable.Range(0, total).Select(i => $"ol{i}").ToList();
        await using var host = await HostProcess.StartAsync(Settings(engine, 60, 60), users);
        var ids = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var failures = 0;
        var before = await host.CallsAsync();
        var decidingSeconds = 0.0;
        var (hostCpu, loadCpu) = (0.0, 0.0);
        for (var round = 0; round < rounds; round++)
        {
            var batch = users.Skip(round * waiting).Take(waiting).ToList();
            var petitions = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, _) =>
            {
                ids[user] = await host.StartApprovalAsync(user);
                petitions[user] = await host.PetitionAsync(ids[user], TimeSpan.FromMinutes(2));
            });

            var cpu = host.StartCpuWindow();
            var clock = Stopwatch.StartNew();
            var decisions = new List<Task>();
            for (var i = 0; i < batch.Count; i++)
            {
                if (decisionsPerSecond > 0 && TimeSpan.FromSeconds(i / decisionsPerSecond) - clock.Elapsed is { Ticks: > 0 } wait)
                {
                    await Task.Delay(wait);
                }

                decisions.Add(host.ApproveAsync(petitions[batch[i]]));
            }

            await Task.WhenAll(decisions);
            foreach (var user in batch)
            {
                try
                {
                    await host.ResetAsync(user).WaitAsync(TimeSpan.FromMinutes(2));
                }
                catch (TimeoutException)
                {
                    Console.Error.WriteLine($"approval {ids[user]} did not act within 2 minutes of its decision");
                    failures++;
                }
            }

            decidingSeconds += clock.Elapsed.TotalSeconds;
            var (hostSeconds, loadSeconds) = cpu.Seconds();
            hostCpu += hostSeconds;
            loadCpu += loadSeconds;
        }

        var after = await host.CallsAsync();
        var (fromWebhook, fromDecision) = await host.LatenciesAsync(ids);
        var pace = decisionsPerSecond > 0 ? $"decided at {decisionsPerSecond:0}/s" : "all decided at once";
        return new LatencyResult(OutOfProcess(engine), $"webhook, {waiting} waiting, {pace}", waiting, total, fromWebhook, fromDecision, PerApproval(before, after, total), failures, decidingSeconds, hostCpu, loadCpu);
    }

    /// <summary>Completed approvals per second with <paramref name="count"/> started at once, approved by rule at creation.</summary>
    public static async Task<ThroughputResult> ThroughputAsync(string engine, int count)
    {
        await using var host = await BenchHost.StartAsync(Settings(engine, 2, 300));
        host.Emulator.SetRules([new DecisionRule("*", DecisionRule.Approve, 0)]);
        host.Know(Enumerable.Range(0, count).Select(i => $"tp{i}"));
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) => await host.StartAsync($"tp{i}"));
        var deadline = TimeSpan.FromMinutes(engine == "azurite" ? 20 : 10);
        IReadOnlyDictionary<string, Local.Actions.LocalUser> users;
        do
        {
            await Task.Delay(100);
            users = host.Users();
        }
        while (users.Count < count && clock.Elapsed < deadline);

        var seconds = clock.Elapsed.TotalSeconds;
        return new ThroughputResult(host.Engine, count, seconds, users.Count, users.Values.Count(u => u.Resets == 1));
    }

    /// <summary>Memory and CPU with <paramref name="count"/> approvals pending (no decision), measured in a window with no
    /// poll due (first poll at 300 s, stated: starting 10,000 takes about 30 s).</summary>
    public static async Task<WaitingResult> WaitingAsync(string engine, int count, TimeSpan window)
    {
        await using var host = await BenchHost.StartAsync(Settings(engine, 300, 300));
        var process = Process.GetCurrentProcess();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        process.Refresh();
        var managed0 = GC.GetTotalMemory(true) / 1048576.0;
        var ws0 = process.WorkingSet64 / 1048576.0;
        var clock = Stopwatch.StartNew();
        var ids = new string[count];
        host.Know(Enumerable.Range(0, count).Select(i => $"wait{i}"));
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) => ids[i] = await host.StartAsync($"wait{i}"));
        foreach (var id in ids)
        {
            await host.PetitionAsync(id);
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        if (clock.Elapsed + window > TimeSpan.FromSeconds(295))
        {
            Console.Error.WriteLine($"warning: starting {count} took {clock.Elapsed.TotalSeconds:0.0} s; the idle window may overlap the first polls");
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        process.Refresh();
        var managed1 = GC.GetTotalMemory(true) / 1048576.0;
        var ws1 = process.WorkingSet64 / 1048576.0;
        var cpu0 = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await Task.Delay(window);
        process.Refresh();
        var cpuPercent = (process.TotalProcessorTime - cpu0).TotalMilliseconds / wall.Elapsed.TotalMilliseconds / Environment.ProcessorCount * 100;
        return new WaitingResult(host.Engine, count, managed0, managed1, ws0, ws1, cpuPercent, window.TotalSeconds);
    }

    /// <summary>Indent API calls per approval for a decision made <paramref name="decisionAfter"/> after the petition.</summary>
    public static async Task<CallsResult> CallsAsync(string engine, TimeSpan decisionAfter, int approvals, bool webhooks)
    {
        await using var host = await BenchHost.StartAsync(Settings(engine, 2, 300));
        if (!webhooks)
        {
            host.Faults.Set(new FaultSpec { DropWebhooks = int.MaxValue });
        }

        var before = BenchHost.Calls();
        host.Know(Enumerable.Range(0, approvals).Select(i => $"calls{i}"));
        await Task.WhenAll(Enumerable.Range(0, approvals).Select(async i =>
        {
            var id = await host.StartAsync($"calls{i}");
            var petition = await host.PetitionAsync(id);
            await Task.Delay(decisionAfter);
            host.Approve(petition);
            using var timeout = new CancellationTokenSource(decisionAfter + TimeSpan.FromMinutes(6));
            await host.CompletionAsync(id, timeout.Token);
        }));
        var after = BenchHost.Calls();
        return new CallsResult(host.Engine, webhooks ? "webhook" : "poll only (baseline)", decisionAfter.TotalSeconds, approvals, PerApproval(before, after, approvals), PollSchedule.PollsBefore(decisionAfter, 2, 300));
    }

    public static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[(int)Math.Round(p * (sorted.Length - 1))];
}
