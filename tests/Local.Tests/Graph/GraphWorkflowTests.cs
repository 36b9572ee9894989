using System.Net;
using System.Text;
using Approvals.Core.Http;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Actions;
using Approvals.Local.Emulator;
using Approvals.Local.Graph;
using Approvals.Local.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Local.Tests.Graph;

/// <summary>The workflows on the embedded engine run the Azure code (<c>EntraUserDirectory</c>, <c>EntraGroupMembership</c>)
/// over HTTP against the local Graph, and end with Graph's own reasons. Every change is counted from the local Graph's
/// request log and the directory's logs, never from the workflow's status.</summary>
public sealed class GraphWorkflowTests
{
    const string Alice = "alice@local";
    const string AliceId = "alice";

    static GraphEmulator Graph(TestHost host) => host.Host.Services.GetRequiredService<GraphEmulator>();

    static IReadOnlyList<GraphRequest> Calls(TestHost host, string method, string pathEnd) =>
        [.. Graph(host).Requests.Where(r => r.Method == method && r.Path.EndsWith(pathEnd, StringComparison.Ordinal))];

    static Task<TestHost> StartWithGroupAsync(string group) => TestHost.StartAsync(new()
    {
        [AccessOptions.MinSecondsSetting] = "1",
        [AccessOptions.GroupsSetting] = $"{IndentEmulator.ProductionResource}={group}",
    });

    static IndentEvent Approve() => new() { EventType = IndentEventTypes.Approve };

    [Fact]
    public async Task Reset_GoesOverHttpToTheLocalGraph_ReadThenPatch_OneWrite()
    {
        await using var host = await TestHost.StartAsync(autoApprove: 0);

        var id = await host.StartResetAsync("123");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Contains(Graph(host).Requests, r => r.Method == "GET" && r.Path == GraphEndpoints.ApiPrefix + "/users/123" && r.Status == 200);
        Assert.Equal([204], Calls(host, "PATCH", "/users/123").Select(r => r.Status));
        Assert.Equal(1, FileUserDirectory.Read(host.DataDirectory)["123"].Resets);
    }

    [Fact]
    public async Task Reset_ThrottledOnce_WaitsOutRetryAfter_ThenOneWrite()
    {
        await using var host = await TestHost.StartAsync(autoApprove: 0);
        Graph(host).Faults.Set(new FaultSpec { Status = 429, Count = 1, RetryAfterSeconds = 2, Method = "PATCH" });

        var id = await host.StartResetAsync("123");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), timeoutMs: 30_000);

        var patches = Calls(host, "PATCH", "/users/123");
        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Equal([429, 204], patches.Select(r => r.Status));
        // .NET's timers run on the runtime's tick count, which on Linux reads CLOCK_MONOTONIC_COARSE (a few ms per tick),
        // so a 2 s delay can end up to one tick early by the wall clock the log is stamped with: CI saw 1.998 s.
        var coarseTick = TimeSpan.FromMilliseconds(20);
        Assert.True(patches[1].At - patches[0].At >= TimeSpan.FromSeconds(2) - coarseTick, $"retried {patches[1].At - patches[0].At} after a Retry-After of 2 s");
        Assert.Equal(1, FileUserDirectory.Read(host.DataDirectory)["123"].Resets);
    }

    [Fact]
    public async Task Reset_OfAGlobalAdministrator_FailedNamingTheRole_NoWrite()
    {
        await using var host = await TestHost.StartAsync(autoApprove: 0);

        var id = await host.StartResetAsync("ada");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), timeoutMs: 30_000);

        Assert.Equal(ApprovalStatuses.Failed, done.Status);
        Assert.Contains("Authorization_RequestDenied", done.Detail, StringComparison.Ordinal);
        Assert.Contains("User Administrator", done.Detail, StringComparison.Ordinal);
        Assert.Equal([403], Calls(host, "PATCH", "/users/ada").Select(r => r.Status));
        Assert.False(FileUserDirectory.Read(host.DataDirectory).ContainsKey("ada"));
    }

    [Fact]
    public async Task Access_GoesOverHttpToTheLocalGraph_AddThenRemove()
    {
        await using var host = await StartWithGroupAsync(LocalGroups.Production);
        using var alice = host.As(Alice);

        // 5 s, not 1: a grant timed from Indent's grant time can be over before a loaded machine adds (then nothing is added).
        var id = await host.StartAccessAsync(5, http: alice);
        host.Emulator.Claim((await host.WaitForPetitionAsync(id)).Petition!, Approve(), "bob@local");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), timeoutMs: 30_000);

        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Equal([204], Calls(host, "POST", $"/groups/{LocalGroups.Production}/members/$ref").Select(r => r.Status));
        Assert.Equal([204], Calls(host, "DELETE", $"/groups/{LocalGroups.Production}/members/{AliceId}/$ref").Select(r => r.Status));
        Assert.Equal([FileGroups.Added, FileGroups.Removed], FileGroups.Log(host.DataDirectory).Select(c => c.Change));
    }

    [Theory]
    [InlineData(LocalGroups.MailEnabled, 400, "mail-enabled")]
    [InlineData(LocalGroups.RoleAssignable, 403, "Authorization_RequestDenied")]
    public async Task Access_ToAGroupGraphWillNotChange_FailedWithGraphsReason_NeverActive_NothingToRemove(string group, int status, string reason)
    {
        await using var host = await StartWithGroupAsync(group);
        using var alice = host.As(Alice);

        var id = await host.StartAccessAsync(60, http: alice);
        host.Emulator.Claim((await host.WaitForPetitionAsync(id)).Petition!, Approve(), "bob@local");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), timeoutMs: 30_000);
        var history = await host.Http.GetStringAsync($"api/approvals/{id}/history");

        Assert.Equal(ApprovalStatuses.Failed, done.Status);
        Assert.Contains(reason, done.Detail, StringComparison.Ordinal);
        Assert.Contains("Nothing was added", done.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("remove it by hand", done.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("\"active\"", history, StringComparison.Ordinal);
        Assert.Equal([status], Calls(host, "POST", $"/groups/{group}/members/$ref").Select(r => r.Status));
        Assert.Empty(Calls(host, "DELETE", "/$ref"));
        Assert.Empty(FileGroups.Log(host.DataDirectory));
    }

    /// <summary>Access whose first add fails in a way that may have landed (a 500: the workflow retries it), then meets
    /// <paramref name="group"/>'s own refusal; waits for the workflow to end (its custom status says failed before the undo).</summary>
    static async Task<(ApprovalView Done, TestHost Host)> AddFailsOnceThenAsync(string group)
    {
        var host = await StartWithGroupAsync(group);
        Graph(host).Faults.Set(new FaultSpec { Status = 500, Count = 1, Method = "POST", PathContains = "/members/$ref" });
        using var alice = host.As(Alice);
        var id = await host.StartAccessAsync(60, http: alice);
        host.Emulator.Claim((await host.WaitForPetitionAsync(id)).Petition!, Approve(), "bob@local");
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.Durable.WaitForInstanceCompletionAsync(id, bound.Token);
        return (await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status)), host);
    }

    [Fact]
    public async Task Access_AddFailsOnceThenGraphRefusesAReadOnlyGroup_FailedWithGraphsReason_NoRemovalTried()
    {
        // No write lands in a group Graph never changes, so the first attempt's 500 left nothing either: nothing is
        // removed, nothing is left for the reconciler, and the approval does not ask for a removal by hand.
        var (done, host) = await AddFailsOnceThenAsync(LocalGroups.MailEnabled);
        await using var _ = host;

        Assert.Equal(ApprovalStatuses.Failed, done.Status);
        Assert.Contains("mail-enabled", done.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("remove it by hand", done.Detail, StringComparison.Ordinal);
        Assert.Equal([500, 400], Calls(host, "POST", $"/groups/{LocalGroups.MailEnabled}/members/$ref").Select(r => r.Status));
        var ledger = host.Host.Services.GetRequiredService<AccessLedger>();
        Assert.Equal(0, await ledger.ReconcileAsync((_, _) => Task.FromResult(false)));
        Assert.Empty(Calls(host, "DELETE", "/$ref"));
        Assert.Empty(FileGroups.Log(host.DataDirectory));
    }

    [Fact]
    public async Task Access_AddFailsOnceThenGraphRefuses403_RemovalTried_SaysItCouldNotBeRemoved()
    {
        // A 403 on the retry says nothing about the first attempt (the app's permission, not the group): the add may have
        // landed, so the removal is tried, and when Graph refuses it too the approval says so.
        var (done, host) = await AddFailsOnceThenAsync(LocalGroups.RoleAssignable);
        await using var _ = host;

        Assert.Equal(ApprovalStatuses.Failed, done.Status);
        Assert.Contains("could not be removed", done.Detail, StringComparison.Ordinal);
        Assert.Equal([500, 403], Calls(host, "POST", $"/groups/{LocalGroups.RoleAssignable}/members/$ref").Select(r => r.Status));
        Assert.Equal([403], Calls(host, "DELETE", $"/groups/{LocalGroups.RoleAssignable}/members/{AliceId}/$ref").Select(r => r.Status));
    }

    [Fact]
    public async Task Access_StartWhileGraphThrottlesTheCheckForAMinute_503WithinTheRequestsBudget_NothingStarted()
    {
        // The membership client may wait minutes for a throttle in the workflow's own calls; a caller waiting on the start
        // gets an answer within GraphResilience.RequestPathTimeout instead.
        await using var host = await StartWithGroupAsync(LocalGroups.Production);
        Graph(host).Faults.Set(new FaultSpec { Status = 429, Count = 10, RetryAfterSeconds = 60, Method = "POST", PathContains = "/checkMemberGroups" });
        using var alice = host.As(Alice);
        var started = DateTimeOffset.UtcNow;

        using var response = await alice.PostAsync("api/access-requests", new StringContent("""{"resource":"Production","reason":"debug the incident","durationSeconds":60}""", Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("nothing was started", problem, StringComparison.Ordinal);
        Assert.InRange(DateTimeOffset.UtcNow - started, Core.Actions.GraphResilience.RequestPathTimeout - TimeSpan.FromSeconds(1), Core.Actions.GraphResilience.RequestPathTimeout + TimeSpan.FromSeconds(15));
        Assert.Single(Calls(host, "POST", "/users/alice/checkMemberGroups")); // waiting out the 60 s, not asking again
        Assert.Empty(host.Emulator.All());
    }

    [Fact]
    public async Task Access_ForAStandingMember_409AtStart_NothingStarted_MembershipUntouched()
    {
        await using var host = await StartWithGroupAsync(LocalGroups.Production);
        host.Host.Services.GetRequiredService<FileGroups>().TryChange(LocalGroups.Production, AliceId, FileGroups.Added);
        using var alice = host.As(Alice);

        using var response = await alice.PostAsync("api/access-requests", new StringContent("""{"resource":"Production","reason":"debug the incident","durationSeconds":60}""", Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("already a member", problem, StringComparison.Ordinal);
        Assert.Single(Calls(host, "POST", "/users/alice/checkMemberGroups"));
        Assert.Empty(Calls(host, "POST", "/members/$ref"));
        Assert.Empty(host.Emulator.All());
        Assert.Equal([FileGroups.Added], FileGroups.Log(host.DataDirectory).Select(c => c.Change));
    }
}
