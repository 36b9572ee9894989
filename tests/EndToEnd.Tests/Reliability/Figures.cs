using System.Text.Json;
using Approvals.EndToEnd.Tests.Support;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>Scale of the reliability suite: <c>short</c> in every test run, <c>long</c> from scripts/reliability.sh.</summary>
public static class Scale
{
    public static bool Long => string.Equals(Environment.GetEnvironmentVariable("RELIABILITY_SCALE"), "long", StringComparison.OrdinalIgnoreCase);

    public static int Pick(int shortRun, int longRun) => Long ? longRun : shortRun;
}

/// <summary>One row of the reliability table: what the suite set out to do (<see cref="Expected"/>) against what an
/// independent record says happened (<see cref="Observed"/>), compared as the manifest says.</summary>
public sealed record Figure(string Id, long Expected, long Observed, bool Holds, string Scale, string? Detail = null);

/// <summary>The rows the table expects (<c>figures.json</c> next to this file): for each, its area, wording, comparison
/// and the record its observed count comes from.</summary>
public sealed record FigureRow(string Id, string Area, string Compare, string Figure, string Source)
{
    public bool Holds(long observed, long expected) => Compare switch
    {
        "=" => observed == expected,
        "<" => observed < expected,
        ">=" => observed >= expected,
        _ => throw new InvalidOperationException($"figures.json: row {Id} compares with '{Compare}', which the table does not know"),
    };
}

public static class Figures
{
    static readonly Lock Gate = new();

    public static string FilePath => Path.Combine(Repo.Root, "artifacts", "reliability", "figures.jsonl");

    public static string ManifestPath => Path.Combine(Repo.Root, "tests", "EndToEnd.Tests", "Reliability", "figures.json");

    static readonly Lazy<IReadOnlyDictionary<string, FigureRow>> Rows = new(() =>
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(ManifestPath));
        return manifest.RootElement.GetProperty("rows").EnumerateArray()
            .Select(r => new FigureRow(r.GetProperty("id").GetString()!, r.GetProperty("area").GetString()!, r.GetProperty("compare").GetString()!, r.GetProperty("figure").GetString()!, r.GetProperty("source").GetString()!))
            .ToDictionary(r => r.Id, StringComparer.Ordinal);
    });

    /// <summary>Records row <paramref name="id"/> (one of figures.json's) and returns whether it holds.</summary>
    public static bool Record(Xunit.Abstractions.ITestOutputHelper output, string id, long expected, long observed, string? detail = null)
    {
        var row = Rows.Value.TryGetValue(id, out var r) ? r : throw new InvalidOperationException($"figure '{id}' is not in {ManifestPath}");
        var holds = row.Holds(observed, expected);
        var figure = new Figure(id, expected, observed, holds, Scale.Long ? "long" : "short", detail);
        output.WriteLine($"FIGURE {row.Area} | {row.Figure} | expected {row.Compare} {expected} | observed {observed} ({row.Source}){(detail is null ? "" : "; " + detail)} | {(holds ? "holds" : "MISSED")}");
        lock (Gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            File.AppendAllText(FilePath, JsonSerializer.Serialize(figure) + "\n");
        }

        return holds;
    }
}

/// <summary>A suite's rows: each recorded as it is measured, then one assertion that every one held (a missed row fails
/// the test after all rows are written, so the table shows every row of a failing suite).</summary>
public sealed class FigureSheet(Xunit.Abstractions.ITestOutputHelper output)
{
    readonly List<string> missed = [];

    public void Record(string id, long expected, long observed, string? detail = null)
    {
        if (!Figures.Record(output, id, expected, observed, detail))
        {
            missed.Add($"{id}: expected {expected}, observed {observed}");
        }
    }

    public void AssertAllHeld() => Assert.True(missed.Count == 0, "rows that did not hold:\n" + string.Join('\n', missed));
}
