using System.Globalization;
using System.Text;

namespace Approvals.Bench;

/// <summary>One target judged against one row of this run: <see cref="Met"/> is computed from the row's figure; null
/// when the row cannot be judged (its figure is not measurable, or the target names no number), said in
/// <see cref="Measured"/>.</summary>
public sealed record Verdict(string Target, string Row, string Measured, bool? Met)
{
    public string Word => Met switch { true => "met", false => "**missed**", null => "not judged" };
}

/// <summary>The targets of docs/BENCHMARKS.md ("Targets"), as numbers, and their verdicts on a run's rows. Nothing in
/// a verdict is typed: each comes from the row it names.</summary>
public static class Targets
{
    public const double MemoryP50Ms = 25, MemoryP99Ms = 150, AzuriteP99Ms = 2000;
    public const double MemoryPerSecond = 200, AzuritePerSecond = 25;
    public const int PendingApprovals = 10_000;
    public const double PendingMb = 400;

    /// <summary>Storage requests per fast-path approval: at least this fraction below the first measured baseline.</summary>
    public const double StorageReduction = 0.30;

    static string F(double v, string format = "0.0") => v.ToString(format, CultureInfo.InvariantCulture);

    static bool IsMemory(string engine) => engine.StartsWith("in memory", StringComparison.Ordinal);

    /// <summary>The latency targets name "50 concurrent" without saying how decisions arrive, so they are judged on every
    /// row with 50 approvals in flight or waiting: the closed loop and the human-paced (open-loop) rows.</summary>
    public static List<Verdict> Judge(IReadOnlyList<LatencyResult> latency, IReadOnlyList<ThroughputResult> throughput, IReadOnlyList<WaitingResult> waiting)
    {
        var verdicts = new List<Verdict>();
        foreach (var r in latency.Where(r => r.Concurrency == 50 && !r.Path.StartsWith("poll", StringComparison.Ordinal)))
        {
            var row = $"{Bench.Short(r.Engine)}, {r.Path}, 50";
            var p50 = Scenarios.Percentile(r.DecisionToActionMs, 0.5);
            var p99 = Scenarios.Percentile(r.DecisionToActionMs, 0.99);
            if (IsMemory(r.Engine))
            {
                verdicts.Add(new($"decision→action p50 ≤ {MemoryP50Ms:0} ms (in-memory, 50)", row, $"{F(p50)} ms", p50 <= MemoryP50Ms));
                verdicts.Add(new($"decision→action p99 ≤ {MemoryP99Ms:0} ms (in-memory, 50)", row, $"{F(p99)} ms", p99 <= MemoryP99Ms));
            }
            else
            {
                verdicts.Add(new($"decision→action p99 ≤ {AzuriteP99Ms / 1000:0} s (Azurite, 50)", row, $"{F(p99)} ms", p99 <= AzuriteP99Ms));
            }
        }

        foreach (var r in throughput)
        {
            var bound = IsMemory(r.Engine) ? MemoryPerSecond : AzuritePerSecond;
            verdicts.Add(new($"completed approvals per second ≥ {bound:0} ({Bench.Short(r.Engine)})", $"{Bench.Short(r.Engine)}, {r.Started:N0} started at once", $"{F(r.PerSecond, "0")}/s", r.PerSecond >= bound));
        }

        foreach (var r in waiting.Where(r => r.Pending == PendingApprovals))
        {
            var row = $"{Bench.Short(r.Engine)}, {r.Pending:N0} pending";
            var growth = r.WorkingSetMbAfter - r.WorkingSetMbBefore;
            verdicts.Add(growth < 0
                ? new($"{PendingApprovals:N0} pending approvals ≤ {PendingMb:0} MB", row, $"not measurable: the working set fell by {F(-growth, "0")} MB while they were created", null)
                : new($"{PendingApprovals:N0} pending approvals ≤ {PendingMb:0} MB", row, $"+{F(growth, "0")} MB working set while they were created", growth <= PendingMb));
            verdicts.Add(new("near-zero CPU between polls", row, $"{F(r.IdleCpuPercent, "0.00")} % of all cores: the target names no number", null));
        }

        foreach (var r in latency.Where(r => r.Path == "webhook" && r.Concurrency == 1))
        {
            double Calls(string kind) => r.CallsPerApproval.TryGetValue(kind, out var n) ? n : 0;
            var (list, create, get) = (Calls("petitions.list"), Calls("petitions.create"), Calls("petitions.get"));
            verdicts.Add(new($"Indent calls on the webhook path: one look-up, one create, one verify ({Bench.Short(r.Engine)})", $"{Bench.Short(r.Engine)}, webhook, 1: Indent calls per approval", $"{F(list, "0.00")}, {F(create, "0.00")}, {F(get, "0.00")}", list == 1 && create == 1 && get == 1));
        }

        return verdicts;
    }

    /// <summary>"K of N targets met" and the list of those missed, from the verdicts.</summary>
    public static string Sentence(IReadOnlyList<Verdict> verdicts)
    {
        var judged = verdicts.Where(v => v.Met is not null).ToList();
        if (judged.Count == 0)
        {
            return "No target was judged in this run.";
        }

        var missed = judged.Where(v => v.Met == false).ToList();
        var notJudged = verdicts.Count - judged.Count;
        return $"{judged.Count(v => v.Met == true)} of {judged.Count} targets judged in this run were met"
            + (missed.Count == 0 ? "" : $"; missed: {string.Join("; ", missed.Select(v => $"{v.Target} on {v.Row} ({v.Measured})"))}")
            + (notJudged == 0 ? "." : $"; {notJudged} not judged (below).");
    }

    public static void Append(StringBuilder md, IReadOnlyList<Verdict> verdicts)
    {
        if (verdicts.Count == 0)
        {
            return;
        }

        md.AppendLine("### Targets, judged on this run");
        md.AppendLine();
        md.AppendLine(Sentence(verdicts));
        md.AppendLine();
        md.AppendLine("| target | row | measured | |");
        md.AppendLine("|---|---|---|---|");
        foreach (var v in verdicts)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {v.Target} | {v.Row} | {v.Measured} | {v.Word} |");
        }

        md.AppendLine();
    }
}
