using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Emulator;
using Approvals.Local.Tests.Support;
using Xunit.Abstractions;

namespace Approvals.Local.Tests.Workflow;

/// <summary>The cancel's one promise, at the race: a 202 means no action will run. Indent's petition reads take 4 s
/// while the cancel arrives: either 202, then <c>cancelled</c> and no reset, or 409, then <c>completed</c> — never a 202
/// and a reset. Resets are counted from the local directory's own log.</summary>
public sealed class CancelRaceTests(ITestOutputHelper output)
{
    static string User() => "race" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Every petition read (GET …/petitions/{name}) takes 4 s from now on.</summary>
    static void SlowReads(TestHost host) =>
        host.Faults.Set(new FaultSpec { Count = 1000, LatencyMs = 4000, Method = "GET", PathContains = "/petitions/" });

    [Fact]
    public async Task CancelWhileTheReadThatMayActIsInFlight_202_ThenCancelled_NoReset()
    {
        await using var host = await TestHost.StartAsync(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "60", ["APPROVALS_POLL_MAX_SECONDS"] = "60" });
        var user = User();
        var id = await host.StartResetAsync(user);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        SlowReads(host);

        host.ApproveAsAPerson(petition);
        var until = DateTime.UtcNow.AddSeconds(20);
        while (host.Faults.Fired == 0) // the read that may also act has reached Indent and is held there for 4 s
        {
            Assert.True(DateTime.UtcNow < until, "the petition read never reached the Indent emulator");
            await Task.Delay(20);
        }

        using var cancel = await host.Http.PostAsync($"api/approvals/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);
        Assert.Equal(ApprovalStatuses.Cancelled, done.Status);
        Assert.Equal(0, host.Resets(user));
        Assert.NotEqual(IndentPhases.Granted, (await host.Indent.GetPetitionAsync(petition)).Phase); // the grant was not left standing
    }

    [Fact]
    public async Task CancelWhileTheResetIsWritten_409_ThenCompleted_OneReset()
    {
        await using var host = await TestHost.StartAsync(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "60", ["APPROVALS_POLL_MAX_SECONDS"] = "60" });
        var graph = host.Host.Services.GetRequiredService<Approvals.Local.Graph.GraphEmulator>();
        var user = User();
        var id = await host.StartResetAsync(user);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        graph.Faults.Set(new FaultSpec { Count = 1000, LatencyMs = 4000, Method = "PATCH", PathContains = "/users/" });

        host.ApproveAsAPerson(petition);
        var until = DateTime.UtcNow.AddSeconds(20);
        while (graph.Faults.Fired == 0) // the password's PATCH has arrived: the act claimed the fence before sending it
        {
            Assert.True(DateTime.UtcNow < until, "the reset's PATCH never reached the local Graph");
            await Task.Delay(20);
        }

        using var cancel = await host.Http.PostAsync($"api/approvals/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        Assert.Contains("Retry in a moment", await cancel.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);
        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Equal(1, host.Resets(user));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    [InlineData(300)]
    public async Task CancelRightAfterTheGrant_202MeansCancelledAndNoReset_409MeansCompleted(int afterMs)
    {
        await using var host = await TestHost.StartAsync(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "60", ["APPROVALS_POLL_MAX_SECONDS"] = "60" });
        var user = User();
        var id = await host.StartResetAsync(user);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        SlowReads(host);

        host.ApproveAsAPerson(petition);
        if (afterMs > 0)
        {
            await Task.Delay(afterMs); // where in the race the cancel lands: a position, not a wait for an outcome
        }

        using var cancel = await host.Http.PostAsync($"api/approvals/{id}/cancel", null);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 40_000);
        output.WriteLine($"cancel {afterMs} ms after the grant: HTTP {(int)cancel.StatusCode}, then {done.Status}, {host.Resets(user)} reset(s)");

        if (cancel.StatusCode == HttpStatusCode.Accepted)
        {
            Assert.Equal(ApprovalStatuses.Cancelled, done.Status);
            Assert.Equal(0, host.Resets(user));
        }
        else
        {
            Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
            Assert.Equal(ApprovalStatuses.Completed, done.Status);
            Assert.Equal(1, host.Resets(user));
        }
    }

    [Fact]
    public async Task CancelWhileWaiting_202_Cancelled_NoReset()
    {
        await using var host = await TestHost.StartAsync();
        var user = User();
        var id = await host.StartResetAsync(user);
        await host.WaitForPetitionAsync(id);

        using var cancel = await host.Http.PostAsync($"api/approvals/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 20_000);
        Assert.Equal(ApprovalStatuses.Cancelled, done.Status);
        Assert.Equal(0, host.Resets(user));
    }
}
