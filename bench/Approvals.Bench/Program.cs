using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Approvals.Bench;

var root = new RootCommand("Approvals benchmark: drives the local host end to end and reports latency, throughput, waiting cost and Indent API calls.");
var smoke = new Option<bool>("--smoke") { Description = "One-minute functional smoke (small counts); fails on a functional error, never on timing." };
var engines = new Option<string>("--engines") { Description = "memory, azurite or both.", DefaultValueFactory = _ => "both" };
var output = new Option<string?>("--output") { Description = "Write the markdown report here too." };
var azuriteScale = new Option<int>("--azurite-scale") { Description = "Approvals for the Azurite throughput and waiting runs.", DefaultValueFactory = _ => 1000 };
var only = new Option<string[]>("--only") { Description = "Run only these scenarios: latency, throughput, waiting, calls, storage (repeatable)." };
var commit = new Option<string?>("--commit") { Description = "The commit being measured, stamped on the report (scripts/bench.sh passes it). With it, a full storage measurement is recorded in bench/Approvals.Bench/storage-runs.jsonl." };
var storageVerdict = new Option<bool>("--storage-verdict") { Description = "Measure nothing: the comparison of every run recorded in bench/Approvals.Bench/storage-runs.jsonl with the baseline, written beside --output as .storage-runs.md and .storage-summary.md (the README's), as a measuring run writes them." };
var srcCommit = new Option<string?>("--src-commit") { Description = "The commit of the last change under src/ before --commit, stamped with it (the scripts pass it)." };
var set = new Option<string[]>("--set") { Description = "Storage scenario only: also measure the host with these settings, KEY=VALUE[,KEY=VALUE…] (repeatable: one variant each)." };
var profile = new Option<string?>("--profile") { Description = "Only this: the in-memory webhook latency run at 50 concurrent (1,000 approvals; --profile-concurrency to change), with the host process's CPU sampled into this .nettrace file (read it with dotnet-trace report FILE topN); scripts/profile-host.sh runs it." };
root.Add(set);
var profileConcurrency = new Option<int>("--profile-concurrency") { Description = "With --profile: approvals kept in flight (default 50).", DefaultValueFactory = _ => 50 };
root.Add(profile);
root.Add(profileConcurrency);
root.Add(smoke);
root.Add(engines);
root.Add(output);
root.Add(azuriteScale);
root.Add(only);
root.Add(commit);
root.Add(srcCommit);
root.Add(storageVerdict);
root.SetAction(async parse =>
{
    var which = parse.GetValue(engines)!;
    if (which is not ("memory" or "azurite" or "both"))
    {
        Console.Error.WriteLine("--engines must be memory, azurite or both");
        return 1;
    }

    var selected = parse.GetValue(only) is { Length: > 0 } o ? o.ToHashSet(StringComparer.OrdinalIgnoreCase) : null;
    var variants = new List<Dictionary<string, string?>>();
    foreach (var variant in parse.GetValue(set) ?? [])
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var pair in variant.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            if (at < 1)
            {
                Console.Error.WriteLine($"--set takes KEY=VALUE[,KEY=VALUE…], not '{variant}'");
                return 1;
            }

            settings[pair[..at]] = pair[(at + 1)..];
        }

        variants.Add(settings);
    }

    if (parse.GetValue(storageVerdict))
    {
        var (runsMd, verdictMd) = Bench.StorageVerdict(parse.GetValue(commit), parse.GetValue(srcCommit));
        var target = parse.GetValue(output) ?? Path.Combine("artifacts", "bench", "storage.md");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
        await File.WriteAllTextAsync(Path.ChangeExtension(target, ".storage-runs.md"), runsMd);
        await File.WriteAllTextAsync(Path.ChangeExtension(target, ".storage-summary.md"), verdictMd);
        Console.WriteLine(runsMd);
        return 0;
    }

    if (parse.GetValue(profile) is { } tracePath)
    {
        var inFlight = parse.GetValue(profileConcurrency);
        var r = await Scenarios.LatencyAsync("memory", inFlight, 1000, webhooks: true, profilePath: tracePath);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"in-memory, webhook, {inFlight} concurrent, {r.Approvals} approvals ({r.Failures} failed), {r.PerSecond:0} completed/s, host busy {r.HostCpuSeconds / r.Seconds:0.00} cores and load generator {r.LoadCpuSeconds / r.Seconds:0.00} of {Environment.ProcessorCount}, host CPU-sampled: decision→action p50 {Scenarios.Percentile(r.DecisionToActionMs, 0.5):0.0} ms, p99 {Scenarios.Percentile(r.DecisionToActionMs, 0.99):0.0} ms; trace {tracePath}"));
        return r.Failures == 0 ? 0 : 2;
    }

    var report = await Bench.RunAsync(parse.GetValue(smoke), which, parse.GetValue(azuriteScale), selected, parse.GetValue(commit), variants, parse.GetValue(srcCommit));
    Console.WriteLine(report.Markdown);
    var path = parse.GetValue(output) ?? Path.Combine("artifacts", "bench", parse.GetValue(smoke) ? "smoke.md" : "report.md");
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    await File.WriteAllTextAsync(path, report.Markdown);
    await File.WriteAllTextAsync(Path.ChangeExtension(path, ".summary.md"), report.Summary);
    if (report.StorageRuns.Length > 0)
    {
        await File.WriteAllTextAsync(Path.ChangeExtension(path, ".storage-runs.md"), report.StorageRuns);
        await File.WriteAllTextAsync(Path.ChangeExtension(path, ".storage-summary.md"), report.StorageSummary);
    }
    if (report.FunctionalErrors.Count > 0)
    {
        Console.Error.WriteLine("FUNCTIONAL ERRORS:\n" + string.Join('\n', report.FunctionalErrors));
        return 2;
    }

    return 0;
});
return await root.Parse(args).InvokeAsync();

namespace Approvals.Bench
{
    /// <summary>The full report, a few headline rows for the README, the comparison of every recorded storage run with
    /// the baseline (for its own block) and its verdict with this run's figures (README's storage block), and what
    /// failed functionally.</summary>
    public sealed record Report(string Markdown, string Summary, string StorageRuns, string StorageSummary, List<string> FunctionalErrors);

    public static class Bench
    {
        static string F(double v, string format = "0.0") => double.IsNaN(v) ? "–" : v.ToString(format, CultureInfo.InvariantCulture);

        /// <summary>A ratio: whole numbers from 10 up, two decimals below (0.42×, never "0×").</summary>
        internal static string Ratio(double v) => F(v, double.IsNaN(v) || Math.Abs(v) >= 10 ? "0" : "0.00") + "×";

        static string Machine()
        {
            var cpu = "unknown CPU";
            try
            {
                cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
            }
            catch (IOException)
            {
            }

            var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
            return $"{RuntimeInformation.OSDescription.Trim()}, {RuntimeInformation.OSArchitecture}, {Environment.ProcessorCount} cores ({cpu}), {F(memory, "0")} GiB, .NET {Environment.Version}";
        }

        public static async Task<Report> RunAsync(bool smoke, string engines, int azuriteScale, HashSet<string>? only = null, string? commit = null, IReadOnlyList<Dictionary<string, string?>>? storageVariants = null, string? srcCommit = null)
        {
            bool Run(string scenario) => only is null || only.Contains(scenario);
            var errors = new List<string>();
            var md = new StringBuilder();
            var at = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC";
            var stamp = $"{at}, commit {commit ?? "(not given)"}{(srcCommit is null ? "" : $" (last change under src/: `{srcCommit}`)")}, on {Machine()}";
            md.AppendLine(CultureInfo.InvariantCulture, $"Run {stamp}; {(smoke ? "**smoke** (small counts)" : "full")} run; latency: the host alone in its own process (`approvals-local serve`) and this benchmark its client over HTTP; the other scenarios: host and benchmark in one process (in-memory engine: DurableTask in-process sidecar, dispatch cap 2,000, worker 1,000; Azurite: Azure Storage backend, 1 partition, cap 200, visibility timeout 5 min except in the storage-work section, which keeps the host's own 30 s).");
            md.AppendLine();
            var latency = new List<LatencyResult>();
            var throughput = new List<ThroughputResult>();
            var waiting = new List<WaitingResult>();
            var calls = new List<CallsResult>();
            var storage = new List<StorageWorkResult>();
            var list = engines == "both" ? new[] { "memory", "azurite" } : [engines];

            foreach (var engine in list)
            {
                Console.Error.WriteLine($"== {engine}");
                if (engine == "azurite" && Run("storage"))
                {
                    Console.Error.WriteLine("   storage work per approval");
                    await using var counter = await StorageCounter.StartAsync();
                    foreach (var variant in (storageVariants ?? []).Prepend([]))
                    {
                        var variantLabel = variant.Count > 0 ? string.Join(", ", variant.Select(p => $"{p.Key}={p.Value}")) : "as configured";
                        storage.AddRange(await StorageWork.MeasureAsync(counter, smoke, variantLabel, variant));
                        await Pickup.MeasureAsync(smoke, variantLabel, variant);
                    }
                }

                var concurrencies = !Run("latency") ? [] : smoke ? new[] { 1, 10 } : engine == "memory" ? [1, 50, 500] : [1, 50];
                foreach (var c in concurrencies)
                {
                    var n = smoke ? (c == 1 ? 10 : 30) : engine == "memory" ? 1000 : (c == 1 ? 50 : 500);
                    Console.Error.WriteLine($"   latency webhook c={c} n={n}");
                    latency.Add(await Scenarios.LatencyAsync(engine, c, n, webhooks: true));
                }

                if (Run("latency"))
                {
                    Console.Error.WriteLine("   latency poll-only baseline");
                    latency.Add(await Scenarios.LatencyAsync(engine, smoke ? 10 : 50, smoke ? 10 : engine == "memory" ? 1000 : 200, webhooks: false));
                }

                if (Run("latency"))
                {
                    // Human-paced: 50 approvals waiting for their approver, decided one after another, then all at once.
                    var (asleep, rounds) = smoke ? (5, 1) : engine == "memory" ? (50, 10) : (50, 4);
                    foreach (var rate in new[] { 10.0, 0 })
                    {
                        Console.Error.WriteLine($"   latency open loop: {asleep} waiting, {(rate > 0 ? rate + "/s" : "at once")}, {rounds} rounds");
                        latency.Add(await Scenarios.OpenLoopLatencyAsync(engine, asleep, rate, rounds));
                    }
                }

                if (engine == "azurite" && !smoke && Run("latency"))
                {
                    foreach (var ms in new[] { 100, 5000 })
                    {
                        Console.Error.WriteLine($"   latency webhook c=1, queue polling {ms} ms");
                        var r = await Scenarios.LatencyAsync(engine, 1, 30, webhooks: true, queuePollingMs: ms);
                        latency.Add(r with { Path = $"webhook, maxQueuePollingInterval {ms} ms" });
                    }
                }

                foreach (var n in !Run("throughput") ? [] : smoke ? new[] { 100 } : engine == "memory" ? [1000, 10_000] : [azuriteScale])
                {
                    Console.Error.WriteLine($"   throughput n={n}");
                    throughput.Add(await Scenarios.ThroughputAsync(engine, n));
                }

                var pending = smoke ? 200 : engine == "memory" ? 10_000 : azuriteScale;
                if (Run("waiting"))
                {
                    Console.Error.WriteLine($"   waiting n={pending}");
                    waiting.Add(await Scenarios.WaitingAsync(engine, pending, TimeSpan.FromSeconds(smoke ? 3 : 15)));
                }

                if ((engine == "memory" || !smoke) && Run("calls"))
                {
                    foreach (var after in smoke ? new[] { 5.0 } : [5.0, 60.0])
                    {
                        Console.Error.WriteLine($"   calls after {after} s");
                        calls.Add(await Scenarios.CallsAsync(engine, TimeSpan.FromSeconds(after), smoke ? 5 : 20, webhooks: true));
                        calls.Add(await Scenarios.CallsAsync(engine, TimeSpan.FromSeconds(after), smoke ? 5 : 20, webhooks: false));
                    }
                }
            }

            // Functional checks (never timing).
            foreach (var r in latency.Where(r => r.Failures > 0 || r.DecisionToActionMs.Length != r.Approvals))
            {
                errors.Add($"latency {r.Engine} {r.Path} c={r.Concurrency}: {r.Failures} failed, {r.DecisionToActionMs.Length}/{r.Approvals} acted");
            }

            foreach (var r in throughput.Where(r => r.Completed != r.Started || r.ResetOnce != r.Started))
            {
                errors.Add($"throughput {r.Engine}: {r.Completed}/{r.Started} completed, {r.ResetOnce} reset exactly once");
            }

            foreach (var r in calls.Where(r => r.CallsPerApproval["petitions.create"] != 1))
            {
                errors.Add($"calls {r.Engine} {r.Path}: {r.CallsPerApproval["petitions.create"]} petitions created per approval");
            }

            foreach (var r in storage.Where(r => r.Unit == "approval" && (r.Get("queue.put") < 1 || r.Episodes < 1 || r.Activities < 1)))
            {
                errors.Add($"storage {r.Path}: {r.Get("queue.put")} queue puts, {r.Episodes} episodes, {r.Activities} activities per approval (the host did not go through the counting proxy?)");
            }

            if (latency.Count > 0)
            {
                md.AppendLine("### Decision-to-action latency (ms)");
                md.AppendLine();
                md.AppendLine("The host alone in its own process; the benchmark, a separate process, keeps N approvals in flight over the public API, each approved by an emulator rule as soon as its petition exists. Webhook rows: from the emulator sending the first signed decision webhook (its delivery log) to the local directory recording the reset (its log file); all rows: from the approval (the petition's `access/approve` event) to the reset. Both times are taken by the host process on this machine's clock. Completed/s is the whole run's rate: with N approvals always in flight (a closed loop), a latency near N ÷ that rate is time spent queued behind the others, not one approval's own work. The open-loop rows (“N waiting, decided at R/s”) are human-paced instead: N approvals wait for their approver, who then decides them one after another at R a second (or all at the same moment); their completed/s is over the deciding only. Host cores: the host process's CPU time over the run's wall time (this machine has " + Environment.ProcessorCount + "; the load generator shares them).");
                md.AppendLine();
                md.AppendLine("| engine | path | concurrent | approvals | webhook→action p50 | p95 | p99 | decision→action p50 | p95 | p99 | completed/s | host cores busy | Indent calls/approval (look-up, create, get) |");
                md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
                foreach (var r in latency)
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"| {Short(r.Engine)} | {r.Path} | {r.Concurrency} | {r.Approvals} | {F(Scenarios.Percentile(r.WebhookToActionMs, 0.5))} | {F(Scenarios.Percentile(r.WebhookToActionMs, 0.95))} | {F(Scenarios.Percentile(r.WebhookToActionMs, 0.99))} | {F(Scenarios.Percentile(r.DecisionToActionMs, 0.5))} | {F(Scenarios.Percentile(r.DecisionToActionMs, 0.95))} | {F(Scenarios.Percentile(r.DecisionToActionMs, 0.99))} | {F(r.PerSecond, "0")} | {F(r.HostCpuSeconds / r.Seconds, "0.00")} | {F(Calls(r.CallsPerApproval, "petitions.list"), "0.00")}, {F(r.CallsPerApproval["petitions.create"], "0.00")}, {F(r.CallsPerApproval["petitions.get"], "0.00")} |");
                }

                md.AppendLine();
                foreach (var engine in list)
                {
                    var web = latency.FirstOrDefault(r => r.Engine.StartsWith(engine == "memory" ? "in memory" : "Azure", StringComparison.Ordinal) && r.Path == "webhook" && r.Concurrency == (smoke ? 10 : 50));
                    var poll = latency.FirstOrDefault(r => r.Engine.StartsWith(engine == "memory" ? "in memory" : "Azure", StringComparison.Ordinal) && r.Path.StartsWith("poll", StringComparison.Ordinal));
                    if (web is not null && poll is not null)
                    {
                        md.AppendLine(CultureInfo.InvariantCulture, $"Baseline ratio ({Short(web.Engine)}): poll-only decision→action p50 is **{Ratio(Scenarios.Percentile(poll.DecisionToActionMs, 0.5) / Scenarios.Percentile(web.DecisionToActionMs, 0.5))}** the webhook path's (p99 {Ratio(Scenarios.Percentile(poll.DecisionToActionMs, 0.99) / Scenarios.Percentile(web.DecisionToActionMs, 0.99))}).");
                        md.AppendLine();
                    }
                }

            }

            StorageWorkReport.Append(md, storage);
            StorageWorkReport.AppendPollingCaps(md, storage, Pickup.Results);
            var (storageRuns, storageSummary) = ("", "");
            if (!smoke && storage.FirstOrDefault(r => r.Path == "as configured: (a) webhook fast path") is { } fastPath && StorageRuns.LedgerPath() is { } ledger)
            {
                // Every full measurement of a commit is recorded before the comparison is computed: no run left out.
                if (commit is not null)
                {
                    StorageRuns.Append(ledger, new StorageRun(commit, srcCommit, at, fastPath.StorageTotal, fastPath.Count, fastPath.Windows, Baseline: false, StorageRuns.Series, $"scripts run of {commit}"));
                }

                var runs = StorageRuns.Read(ledger);
                storageRuns = RunsBlock(stamp, runs);
                storageSummary = StorageSummary(stamp, storage, runs);
            }

            var verdicts = Targets.Judge(latency, throughput, waiting);
            Targets.Append(md, verdicts);
            if (throughput.Count > 0)
            {
                md.AppendLine("### Throughput");
                md.AppendLine();
                md.AppendLine("| engine | started at once | completed | reset exactly once | seconds | approvals/s |");
                md.AppendLine("|---|---:|---:|---:|---:|---:|");
                foreach (var r in throughput)
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"| {Short(r.Engine)} | {r.Started} | {r.Completed} | {r.ResetOnce} | {F(r.Seconds)} | {F(r.PerSecond, "0")} |");
                }

                md.AppendLine();
            }

            if (waiting.Count > 0)
            {
                md.AppendLine("### Waiting cost");
                md.AppendLine();
                md.AppendLine("Approvals pending with no decision; first poll at 300 s (stated), measured after all petitions exist, in a window with no poll due. Process-wide figures (host and benchmark share the process).");
                md.AppendLine();
                md.AppendLine("| engine | pending | working set before → after (MB) | managed heap before → after (MB) | per pending approval (KB, working set) | CPU while idle (% of all cores) |");
                md.AppendLine("|---|---:|---:|---:|---:|---:|");
                foreach (var r in waiting)
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"| {Short(r.Engine)} | {r.Pending} | {F(r.WorkingSetMbBefore, "0")} → {F(r.WorkingSetMbAfter, "0")} | {F(r.ManagedMbBefore, "0")} → {F(r.ManagedMbAfter, "0")} | {(r.WorkingSetMbAfter >= r.WorkingSetMbBefore ? F((r.WorkingSetMbAfter - r.WorkingSetMbBefore) * 1024 / r.Pending, "0.0") : "not measurable (fell)")} | {F(r.IdleCpuPercent, "0.00")} over {F(r.IdleWindowSeconds, "0")} s |");
                }

                md.AppendLine();
            }

            if (calls.Count > 0)
            {
                md.AppendLine("### Indent API calls per approval");
                md.AppendLine();
                md.AppendLine("Decision made N seconds after the petition; polls at 2 s, then doubling to a 300 s cap. 15 min is computed from the same schedule (`PollSchedule`), which the 5 s and 60 s rows check against measurement: webhook path = 1 look-up + 1 create + polls before the decision + 1 verify; poll-only = 1 look-up + 1 create + polls up to the first one after the decision.");
                md.AppendLine();
                md.AppendLine("| engine | path | decision after | approvals | look-up | create | get | claim | polls predicted before decision |");
                md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
                foreach (var r in calls)
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"| {Short(r.Engine)} | {r.Path} | {F(r.DecisionAfterSeconds, "0")} s | {r.Approvals} | {F(Calls(r.CallsPerApproval, "petitions.list"), "0.00")} | {F(r.CallsPerApproval["petitions.create"], "0.00")} | {F(r.CallsPerApproval["petitions.get"], "0.00")} | {F(r.CallsPerApproval["claims.create"], "0.00")} | {r.PollsPredicted} |");
                }

                var fifteen = Approvals.Core.Workflow.PollSchedule.PollsBefore(TimeSpan.FromMinutes(15), 2, 300);
                md.AppendLine(CultureInfo.InvariantCulture, $"| (schedule) | webhook | 900 s | – | 1 | 1 | {fifteen + 1} | 0 | {fifteen} |");
                md.AppendLine(CultureInfo.InvariantCulture, $"| (schedule) | poll only | 900 s | – | 1 | 1 | {fifteen + 1} | 0 | {fifteen} |");
            }

            if (errors.Count > 0)
            {
                md.AppendLine();
                md.AppendLine("**Functional errors:** " + string.Join("; ", errors));
            }

            return new Report(md.ToString(), Summary(stamp, latency, throughput, waiting, verdicts, smoke), storageRuns, storageSummary, errors);
        }

        static double Calls(IReadOnlyDictionary<string, double> perApproval, string kind) => perApproval.TryGetValue(kind, out var n) ? n : 0;

        /// <summary>A working set's growth, signed; a fall is not a measurement of what the approvals cost.</summary>
        internal static string Growth(WaitingResult r) => r.WorkingSetMbAfter >= r.WorkingSetMbBefore
            ? $"+{F(r.WorkingSetMbAfter - r.WorkingSetMbBefore, "0")} MB"
            : $"not measurable (the working set fell by {F(r.WorkingSetMbBefore - r.WorkingSetMbAfter, "0")} MB)";

        /// <summary>The README's headline rows, from this run only, each with the targets judged on it.</summary>
        static string Summary(string stamp, List<LatencyResult> latency, List<ThroughputResult> throughput, List<WaitingResult> waiting, List<Verdict> verdicts, bool smoke)
        {
            var md = new StringBuilder();
            md.AppendLine(CultureInfo.InvariantCulture, $"From `scripts/bench.sh`, {stamp}{(smoke ? " (smoke counts)" : "")}; full tables in docs/BENCHMARKS.md. {Targets.Sentence(verdicts)}");
            md.AppendLine();
            md.AppendLine("| what | figure | targets judged on it |");
            md.AppendLine("|---|---|---|");
            void Row(string what, string figure, string row)
            {
                var judged = verdicts.Where(v => v.Row == row).Select(v => $"{v.Target}: {v.Word}").ToList();
                md.AppendLine(CultureInfo.InvariantCulture, $"| {what} | {figure} | {(judged.Count == 0 ? "–" : string.Join("; ", judged))} |");
            }

            string DecisionToAction(LatencyResult r) => $"decision→action p50 {F(Scenarios.Percentile(r.DecisionToActionMs, 0.5))} ms, p99 {F(Scenarios.Percentile(r.DecisionToActionMs, 0.99))} ms";
            foreach (var r in latency.Where(r => r.Path == "webhook").OrderBy(r => Short(r.Engine), StringComparer.Ordinal).ThenBy(r => r.Concurrency))
            {
                Row($"signed decision webhook → password reset, {r.Concurrency} concurrent ({Short(r.Engine)})", DecisionToAction(r), $"{Short(r.Engine)}, {r.Path}, {r.Concurrency}");
            }

            foreach (var r in latency.Where(r => r.Path.Contains("waiting", StringComparison.Ordinal)))
            {
                Row($"human-paced: {r.Path[(r.Path.IndexOf(',', StringComparison.Ordinal) + 2)..]} ({Short(r.Engine)})", DecisionToAction(r), $"{Short(r.Engine)}, {r.Path}, {r.Concurrency}");
            }

            foreach (var poll in latency.Where(r => r.Path.StartsWith("poll", StringComparison.Ordinal)))
            {
                var web = latency.FirstOrDefault(r => r.Engine == poll.Engine && r.Path == "webhook" && r.Concurrency == poll.Concurrency);
                if (web is not null)
                {
                    Row($"poll-only baseline (the seed's way), {poll.Concurrency} concurrent ({Short(poll.Engine)})", $"decision→action p50 {F(Scenarios.Percentile(poll.DecisionToActionMs, 0.5), "0")} ms: {Ratio(Scenarios.Percentile(poll.DecisionToActionMs, 0.5) / Scenarios.Percentile(web.DecisionToActionMs, 0.5))} the webhook path", "");
                }
            }

            foreach (var r in latency.Where(r => r.Path == "webhook" && r.Concurrency == 1))
            {
                Row($"Indent calls per fast approval: look-up, create, verify ({Short(r.Engine)})", $"{F(Calls(r.CallsPerApproval, "petitions.list"), "0.00")}, {F(r.CallsPerApproval["petitions.create"], "0.00")}, {F(r.CallsPerApproval["petitions.get"], "0.00")}", $"{Short(r.Engine)}, webhook, 1: Indent calls per approval");
            }

            foreach (var r in throughput)
            {
                Row($"completed approvals per second, {r.Started:N0} started at once ({Short(r.Engine)})", $"{F(r.PerSecond, "0")}/s", $"{Short(r.Engine)}, {r.Started:N0} started at once");
            }

            foreach (var r in waiting)
            {
                Row($"{r.Pending:N0} approvals pending ({Short(r.Engine)})", $"working set {Growth(r)}, {F(r.IdleCpuPercent, "0.00")} % CPU between polls", $"{Short(r.Engine)}, {r.Pending:N0} pending");
            }

            return md.ToString();
        }

        /// <summary>The comparison of every recorded run with the baseline, stamped.</summary>
        static string RunsBlock(string stamp, List<StorageRun> runs)
        {
            var md = new StringBuilder();
            md.AppendLine(CultureInfo.InvariantCulture, $"Computed {stamp}, from the {runs.Count} runs recorded in `bench/Approvals.Bench/storage-runs.jsonl` (this run's included when there was one).");
            md.AppendLine();
            StorageRuns.Append(md, runs);
            return md.ToString();
        }

        /// <summary>Measures nothing: the comparison of every recorded run with the baseline, and the README's verdict.</summary>
        public static (string Runs, string Summary) StorageVerdict(string? commit, string? srcCommit)
        {
            var stamp = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {commit ?? "(not given)"}{(srcCommit is null ? "" : $" (last change under src/: `{srcCommit}`)")}";
            var runs = StorageRuns.LedgerPath() is { } ledger ? StorageRuns.Read(ledger) : [];
            return (RunsBlock(stamp, runs), StorageSummary(stamp + ", no new measurement", [], runs));
        }

        /// <summary>The README's storage block: the comparison with the baseline over every recorded run, and this
        /// run's per-approval figures.</summary>
        static string StorageSummary(string stamp, List<StorageWorkResult> storage, IReadOnlyList<StorageRun> runs)
        {
            var md = new StringBuilder();
            md.AppendLine(CultureInfo.InvariantCulture, $"From `scripts/storage-work.sh`, {stamp}; every recorded run{(storage.Count > 0 ? " and this run's full tables" : "")} in docs/BENCHMARKS.md (\"What an approval costs on Azure Storage\").");
            md.AppendLine();
            md.AppendLine(StorageRuns.Verdict(runs));
            if (storage.Count == 0)
            {
                return md.ToString();
            }

            md.AppendLine();
            md.AppendLine("| this run, as configured | storage requests | Functions executions | Indent calls |");
            md.AppendLine("|---|---:|---:|---:|");
            foreach (var r in storage.Where(r => r.Path.StartsWith("as configured:", StringComparison.Ordinal)))
            {
                var (times, unit) = r.Unit == "host-hour" ? (24.0, "per idle host-day") : (1.0, "per " + r.Unit);
                md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Path["as configured: ".Length..]} ({unit}, n={r.Count}) | {F(r.StorageTotal * times, times > 1 ? "N0" : "0.0")} | {F((r.Episodes + r.Activities) * times, times > 1 ? "N0" : "0.0")} | {F(r.IndentCalls * times, times > 1 ? "N0" : "0.0")} |");
            }

            return md.ToString();
        }

        internal static string Short(string engine) => engine.StartsWith("in memory", StringComparison.Ordinal) ? "in-memory" : "Azurite";
    }
}
