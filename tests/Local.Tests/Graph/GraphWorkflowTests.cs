using System.Net;
using System.Text;
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

        var id = await host.StartAccessAsync(1, http: alice);
        host.Emulator.Claim((await host.WaitForPetitionAsync(id)).Petition!, Approve(), "bob@local");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

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
