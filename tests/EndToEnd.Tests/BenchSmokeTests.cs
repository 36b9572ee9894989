using System.Diagnostics;
using Approvals.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests;

/// <summary>The benchmark's one-minute smoke: every scenario at small counts on both engines. Fails on a functional
/// error (an approval not completed, a reset not exactly once, a second petition), never on timing.</summary>
public sealed class BenchSmokeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task BenchmarkSmoke_BothEngines_NoFunctionalError()
    {
        AzuriteRestartTests.RequireAzurite();
        var dll = Path.Combine(Repo.Root, "bench", "Approvals.Bench", "bin", Repo.Configuration, "net10.0", "approvals-bench.dll");
        var report = Path.Combine(Path.GetTempPath(), $"bench-smoke-{Guid.NewGuid():N}.md");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        foreach (var arg in new[] { dll, "--smoke", "--engines", "both", "--output", report })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true); // never leave the benchmark running past the test
            }
        }

        output.WriteLine(await stdout);

        Assert.True(process.ExitCode == 0, await stderr);
        var markdown = await File.ReadAllTextAsync(report);
        Assert.Contains("| in-memory | webhook |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Azurite | webhook |", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("Functional errors", markdown, StringComparison.Ordinal);
        Assert.Contains(": (a) webhook fast path | approval (n=3) |", markdown, StringComparison.Ordinal);
        Assert.Contains(": (c) waiting, undecided | poll (n=", markdown, StringComparison.Ordinal);
        var summary = await File.ReadAllTextAsync(Path.ChangeExtension(report, ".summary.md"));
        Assert.Contains("| Indent calls per fast approval: look-up, create, verify (in-memory) | 1.00, 1.00, 1.00 |", summary, StringComparison.Ordinal);
    }
}
