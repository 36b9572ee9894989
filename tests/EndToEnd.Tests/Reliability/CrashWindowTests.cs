using Approvals.EndToEnd.Tests.Support;
using Approvals.Local.Actions;
using Xunit.Abstractions;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>The reset's narrowest crash window: SIGKILL after the directory has the new password and before the
/// credential is marked applied. The retry must decide from the directory itself and never write a second time.</summary>
[Trait("Category", "Reliability")]
public sealed class CrashWindowTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KilledBetweenTheDirectoryWriteAndTheMark_Restarted_CompletesWithOneWrite()
    {
        AzuriteRestartTests.RequireAzurite();
        var data = Repo.NewDataDirectory();
        var port = Repo.FreePort();
        var env = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["TASKHUB_NAME"] = "window" + Guid.NewGuid().ToString("N")[..12],
            // Redelivery of the killed host's activity after 10 s instead of a minute.
            ["APPROVALS_ENGINE_VISIBILITY_TIMEOUT_SECONDS"] = "5",
        };
        const string user = "crashwindow1";
        var marker = FileUserDirectory.AfterWriteMarker(data, user);

        var host = await HostProcess.StartAsync(data, new(env) { [FileUserDirectory.LatencyAfterWriteSetting] = "120000" }, port);
        var driver = new ReliabilityDriver(host);
        var id = await driver.StartAsync(user);
        await driver.ClaimAsync(await driver.PetitionOfAsync(id), "access/approve");
        for (var until = DateTime.UtcNow.AddSeconds(60); !File.Exists(marker); await Task.Delay(20))
        {
            Assert.True(DateTime.UtcNow < until, "the host never reached the fault point after the directory write");
        }

        var exit = host.Kill();                          // exactly at the named point: written, not yet marked
        output.WriteLine(host.Output);
        await host.DisposeAsync();
        var writesAtKill = driver.Resets(user);
        var appliedAtKill = CrashTests.AppliedMark(data, id);

        var restarted = await HostProcess.StartAsync(data, env, port);
        var after = new ReliabilityDriver(restarted);
        var view = await after.WaitAsync(id, ReliabilityDriver.IsFinal, 120);
        var writes = after.Resets(user);
        output.WriteLine(restarted.Output);
        await restarted.DisposeAsync();

        var sheet = new FigureSheet(output);
        sheet.Record("crash.window", 1, writes, $"exit status {exit}, {writesAtKill} write(s) and the applied mark {(appliedAtKill is null ? "(no credential)" : appliedAtKill.Value ? "present" : "absent")} at the kill, then {ReliabilityDriver.StatusOf(view)}");
        sheet.AssertAllHeld();

        // The kill is confirmed by the process's exit status, the directory's log (written) and the store (not marked).
        Assert.Equal(CrashTests.SigKillExitStatus, exit);
        Assert.Equal(1, writesAtKill);
        Assert.False(appliedAtKill);
        Assert.Equal("completed", ReliabilityDriver.StatusOf(view));
        Directory.Delete(data, recursive: true);
    }
}
