using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Approvals.EndToEnd.Tests.Reliability;
using Approvals.EndToEnd.Tests.Support;
using Approvals.Local.Actions;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests;

/// <summary>A deploy, end to end, on the Azure Storage backend (Azurite): approvals started by the previous release's
/// build wait in the task hub — one undecided, one granted but not yet acted on, one with access active — while that
/// build is stopped (SIGKILL), and this build starts on the same task hub and data. Decided now, each completes, once,
/// counted from the directory's own logs, and the access is removed at the end of its granted time.</summary>
public sealed class UpgradeTests(ITestOutputHelper output)
{
    /// <summary>The releases whose waiting approvals this build must take over, each with the orchestration version its
    /// instances carry: the first release (unversioned, before versions existed) and the last release whose resets and
    /// access ran on <c>ApprovalOrchestrator</c>/<c>AccessOrchestrator</c> (version 1.1, before the action contract moved
    /// new approvals to <c>ActionOrchestrator</c> and put the cancel's fence in front of every act). When a new
    /// orchestration version or orchestrator lands, add the last commit before it.</summary>
    public static TheoryData<string, string> PreviousReleases => new()
    {
        { "6f7c4c4", "unversioned" },
        { "2fcd800", "1.1" },
    };

    /// <summary>How long the access granted on the old build lasts: it must outlive the switch to the new build.</summary>
    const int AccessSeconds = 30;

    [Theory]
    [MemberData(nameof(PreviousReleases))]
    public async Task PreviousReleaseWaiting_CurrentBuildTakesOver_EachCompletesOnce_AccessRemovedOnTime(string release, string version)
    {
        AzuriteRestartTests.RequireAzurite();
        var previous = await BuildAsync(release);
        var data = Repo.NewDataDirectory();
        var port = Repo.FreePort();
        var taskHub = "upg" + Guid.NewGuid().ToString("N")[..12];
        var env = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["TASKHUB_NAME"] = taskHub,
            ["APPROVALS_ACCESS_MIN_SECONDS"] = "1",
            // An activity the old build had dequeued is redelivered once its lock lapses: 2 × this.
            ["APPROVALS_ENGINE_VISIBILITY_TIMEOUT_SECONDS"] = "5",
        };

        string undecided, granted, access;
        DateTime activeUntil;
        await using (var old = await HostProcess.StartBuildAsync(previous, data, env, port))
        {
            var driver = new ReliabilityDriver(old);
            undecided = await driver.StartAsync("upgwait", "to recover account");
            granted = await driver.StartAsync("upggrant", "to recover account");
            access = await StartAccessAsync(old);
            await driver.PetitionOfAsync(undecided);

            // Access: approved, active on the old build.
            await driver.ClaimAsync(await driver.PetitionOfAsync(access), "access/approve");
            activeUntil = (await driver.WaitAsync(access, v => v.GetProperty("status").GetString() == "active")).GetProperty("access").GetProperty("activeUntil").GetDateTime();

            // Granted in Indent; the old build's read of the grant (which is also the reset) held in flight: not acted on.
            var petition = await driver.PetitionOfAsync(granted);
            using (var indent = old.IndentHttp())
            {
                using var fault = await indent.PutAsJsonAsync("indent/_admin/faults", new { latencyMs = 60_000, method = "GET", pathContains = "/petitions/" + petition });
                Assert.Equal(HttpStatusCode.OK, fault.StatusCode);
            }

            Assert.Equal(HttpStatusCode.OK, await driver.ClaimAsync(petition, "access/approve"));
            Assert.True(await CrashTests.MarkerAsync(data, "indent-held.GET*"), "the old build never read the granted petition\n" + old.Output);
            Assert.Equal(0, driver.Resets("upggrant"));
            old.Kill();
        }

        var stoppedAt = DateTime.UtcNow;
        Assert.Equal(0, Resets(data, "upgwait") + Resets(data, "upggrant"));
        Assert.Equal([FileGroups.Added], FileGroups.Log(data).Select(c => c.Change));

        await using var current = await HostProcess.StartAsync(data, env, port);
        output.WriteLine($"the current build answered {(DateTime.UtcNow - stoppedAt).TotalSeconds:0.0} s after the old one was killed; the access ends in {(DateTime.SpecifyKind(activeUntil, DateTimeKind.Utc) - DateTime.UtcNow).TotalSeconds:0.0} s");

        // What a deploy replays, by version: the three instances the old build started, at the old build's version.
        var listed = await Cli.RunAsync(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true", ["TASKHUB_NAME"] = taskHub }, TimeSpan.FromSeconds(60), "versions", "--instances");
        output.WriteLine(listed.Output + listed.Error);
        Assert.Equal(0, listed.ExitCode);
        Assert.Contains(listed.Lines, l => l.StartsWith(version + " ", StringComparison.Ordinal) && l.Contains("ApprovalOrchestrator", StringComparison.Ordinal) && l.Contains(" 2 ", StringComparison.Ordinal));
        Assert.Contains(listed.Lines, l => l.StartsWith(version + " ", StringComparison.Ordinal) && l.Contains("AccessOrchestrator", StringComparison.Ordinal) && l.Contains(" 1 ", StringComparison.Ordinal));
        Assert.All(new[] { undecided, granted, access }, id => Assert.Contains(listed.Lines, l => l.EndsWith(id, StringComparison.Ordinal)));

        var driver2 = new ReliabilityDriver(current);
        Assert.Equal(HttpStatusCode.OK, await driver2.ClaimAsync(await driver2.PetitionOfAsync(undecided), "access/approve"));
        var first = await driver2.WaitAsync(undecided, ReliabilityDriver.IsFinal, seconds: 90);
        var second = await driver2.WaitAsync(granted, ReliabilityDriver.IsFinal, seconds: 90);
        var third = await driver2.WaitAsync(access, ReliabilityDriver.IsFinal, seconds: AccessSeconds + 90);

        Assert.Equal("completed", first.GetProperty("status").GetString());
        Assert.Equal("completed", second.GetProperty("status").GetString());
        Assert.Equal("completed", third.GetProperty("status").GetString());
        Assert.Contains("the granted time is over", third.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, Resets(data, "upgwait"));
        Assert.Equal(1, Resets(data, "upggrant"));
        var changes = FileGroups.Log(data);
        Assert.Equal([FileGroups.Added, FileGroups.Removed], changes.Select(c => c.Change));
        var late = changes[1].At - new DateTimeOffset(DateTime.SpecifyKind(activeUntil, DateTimeKind.Utc));
        output.WriteLine($"membership removed {late.TotalSeconds:0.0} s after the granted time ended");
        // On time: a durable timer on Azure Storage is a queue message made visible after a delay the queue takes in whole
        // seconds, so it may fire up to a second early (measured once: 0.9 s) — early is the safe side (invariant 7).
        Assert.True(late > TimeSpan.FromSeconds(-1.5) && late < TimeSpan.FromSeconds(10), $"removed {late.TotalSeconds:0.0} s after the granted time ended");

        // Each ran its old history to the end at its old version; what this build starts now carries its own version.
        foreach (var id in new[] { undecided, granted, access })
        {
            Assert.Contains($"\"version {version}\"", await current.Http.GetStringAsync($"api/approvals/{id}/history"), StringComparison.Ordinal);
        }

        var fresh = await driver2.StartAsync("upgnew", "to recover account");
        await driver2.PetitionOfAsync(fresh);
        var after = await Cli.RunAsync(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true", ["TASKHUB_NAME"] = taskHub }, TimeSpan.FromSeconds(60), "versions");
        output.WriteLine(after.Output);
        Assert.DoesNotContain(after.Lines, l => l.Contains("ApprovalOrchestrator", StringComparison.Ordinal) || l.Contains("AccessOrchestrator", StringComparison.Ordinal));
        Assert.Contains(after.Lines, l => l.StartsWith(Core.Workflow.WorkflowVersions.Current + " ", StringComparison.Ordinal) && l.Contains("ActionOrchestrator", StringComparison.Ordinal)); // a new reset runs on the contract
    }

    [Fact]
    public async Task Versions_WithoutAzureStorage_SaysWhatToSet()
    {
        var result = await Cli.RunAsync(new() { ["AzureWebJobsStorage"] = "" }, TimeSpan.FromSeconds(60), "versions");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("AzureWebJobsStorage", result.Error, StringComparison.Ordinal);
    }

    static int Resets(string data, string user) => FileUserDirectory.Read(data).TryGetValue(user, out var u) ? u.Resets : 0;

    static async Task<string> StartAccessAsync(HostProcess host)
    {
        using var started = await host.Http.PostAsJsonAsync("api/access-requests", new { resource = "Production", reason = "to debug production", durationSeconds = AccessSeconds });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        return JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>The local host built at <paramref name="commit"/> (scripts/build-commit.sh: once per commit, then reused).</summary>
    internal static async Task<string> BuildAsync(string commit)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo.Root };
        info.ArgumentList.Add(Path.Combine(Repo.Root, "scripts", "build-commit.sh"));
        info.ArgumentList.Add(commit);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"Building {commit} took over 6 minutes:\n{await stderr}");
        }

        var dll = (await stdout).Trim();
        Assert.True(process.ExitCode == 0 && File.Exists(dll), $"Could not build {commit} (exit {process.ExitCode}):\n{await stderr}");
        return dll;
    }
}
