using System.Net;
using Approvals.Core;
using Approvals.Core.Actions;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Actions;
using Approvals.Local.Emulator;
using Approvals.Local.Graph;
using Approvals.Local.Tests.Support;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Approvals.Local.Tests.Workflow;

/// <summary>Attack review of issue 27's promise: time-boxed access never outlives its grant and never takes away what it
/// did not give. Each test fails when the promise is broken, counted from the local Graph's group log
/// (<c>groups.jsonl</c>, <see cref="FileGroups.Log"/>), never from the workflow's status. Waits are on conditions, bounded.</summary>
public sealed class AccessAttackTests(ITestOutputHelper output)
{
    const string Alice = "alice@local";
    const string AliceId = "alice";
    const string Group = FileGroups.ProductionGroup;

    static List<LocalMembershipChange> Changes(string dataDirectory) =>
        FileGroups.Log(dataDirectory).Where(c => c.Group == Group && c.Member == AliceId).ToList();

    static bool IsMember(TestHost host) => host.Host.Services.GetRequiredService<FileGroups>().Members(Group).Contains(AliceId);

    static IndentEvent Approve() => new() { EventType = IndentEventTypes.Approve };

    static async Task WaitUntilAsync(Func<bool> condition, TimeSpan within, string what)
    {
        var until = DateTime.UtcNow + within;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"timed out after {within}: {what}");
            await Task.Delay(25);
        }
    }

    /// <summary>The production Graph group client (<see cref="ApprovalsServiceCollectionExtensions.AddEntraDirectory"/>:
    /// the standard resilience pipeline) against the host's local Graph, with <paramref name="inner"/> between the
    /// pipeline and the network — where a lost answer happens.</summary>
    static ServiceProvider ProductionGroupClient(TestHost host, Func<DelegatingHandler>? inner = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(host.Host.Services.GetRequiredService<Azure.Core.TokenCredential>());
        services.AddEntraDirectory(GraphEndpoints.BaseUrl(host.Host.BaseAddress));
        if (inner is not null)
        {
            services.AddHttpClient(nameof(IGroupMembership)).AddHttpMessageHandler(inner);
        }

        return services.BuildServiceProvider();
    }

    /// <summary>Lets the first add reach Graph (it lands), then answers the caller 503 instead of Graph's 204: what a
    /// gateway timeout, a reset connection or a 5xx after the write looks like to the client.</summary>
    sealed class LoseFirstAddAnswer(StrongBox counter) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/members/$ref", StringComparison.Ordinal)
                && response.IsSuccessStatusCode && Interlocked.Increment(ref counter.Value) == 1)
            {
                response.Dispose();
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
                {
                    RequestMessage = request,
                    Content = new StringContent("""{"error":{"code":"serviceNotAvailable","message":"answer lost after the write"}}""", System.Text.Encoding.UTF8, "application/json"),
                };
            }

            return response;
        }
    }

    sealed class StrongBox
    {
        public int Value;
    }

    /// <summary>Holds a removal until released: where a settle has read the ledger (no live grant) and not yet removed.
    /// (The settle used to check the membership first, and this gated that check; it now removes without a read, so the
    /// gate sits on the removal — the same moment.)</summary>
    sealed class GateOnRemove(IGroupMembership inner) : IGroupMembership
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<bool> AddMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default) => inner.AddMemberAsync(groupId, memberId, cancellationToken);

        public async Task<bool> RemoveMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default)
        {
            Entered.TrySetResult();
            await Release.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return await inner.RemoveMemberAsync(groupId, memberId, cancellationToken);
        }

        public Task<bool> IsMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default) => inner.IsMemberAsync(groupId, memberId, cancellationToken);
    }

    /// <summary>Entra's group reads are eventually consistent: right after an add, <c>checkMemberGroups</c> may not show it
    /// yet. This answers the first check as a lagging replica would (not a member); adds and removals are Graph's own.</summary>
    sealed class LaggingCheck(IGroupMembership inner) : IGroupMembership
    {
        int stale = 1;

        public Task<bool> AddMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default) => inner.AddMemberAsync(groupId, memberId, cancellationToken);

        public Task<bool> RemoveMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default) => inner.RemoveMemberAsync(groupId, memberId, cancellationToken);

        public Task<bool> IsMemberAsync(string groupId, string memberId, CancellationToken cancellationToken = default) =>
            Interlocked.Exchange(ref stale, 0) == 1 ? Task.FromResult(false) : inner.IsMemberAsync(groupId, memberId, cancellationToken);
    }

    /// <summary>A running approval (awaiting its decision) whose id the ledger entries use, so the host's own reconciler
    /// leaves them to "their workflow" as it would in production.</summary>
    static async Task<string> RunningApprovalAsync(TestHost host, HttpClient alice)
    {
        var id = await host.StartAccessAsync(600, "Production", alice);
        await host.WaitForPetitionAsync(id);
        return id;
    }

    /// <summary>ATTACK 1. The add's POST lands in Graph but its answer is lost (503/timeout/reset after the write). The
    /// group client's standard resilience pipeline retries the POST (unlike the password client, whose non-idempotent
    /// writes are not retried), Graph answers "already a member", and the ledger records the grant as Standing — not
    /// ours — so neither the end, nor a cancel, nor the reconciler ever removes it. The same happens without the
    /// pipeline when the workflow's own retry (AttemptAsync) runs the add again after the first one failed.</summary>
    [Fact]
    public async Task AddThatLandedButWhoseAnswerWasLost_IsStillOurs_RemovedWhenTheGrantEnds()
    {
        await using var host = await TestHost.StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        using var alice = host.As(Alice);
        var id = await RunningApprovalAsync(host, alice);
        var lost = new StrongBox();
        await using var client = ProductionGroupClient(host, () => new LoseFirstAddAnswer(lost));
        var ledger = new AccessLedger(host.Host.Services.GetRequiredService<IAccessLedgerStore>(), client.GetRequiredService<IGroupMembership>(), TimeProvider.System, NullLogger<AccessLedger>.Instance);

        await ledger.IntendAsync(id, Group, AliceId, DateTimeOffset.UtcNow.AddMinutes(10)); // RecordAccessGrantActivity
        var outcome = await ledger.AddAsync(id, Group, AliceId); // GrantAccessActivity
        Assert.Equal(1, lost.Value); // the add did land, and its answer was lost
        await ledger.EndAsync(id, Group, AliceId); // EndAccessActivity (a cancel, or the time box)
        await host.Durable.TerminateInstanceAsync(id);
        await host.Durable.WaitForInstanceCompletionAsync(id);
        await host.Host.Services.GetRequiredService<AccessReconciler>().RunOnceAsync(host.Durable); // and the reconciler after it

        var changes = Changes(host.DataDirectory);
        var entry = FileAccessLedgerStore.Read(host.DataDirectory).Single(e => e.ApprovalId == id);
        output.WriteLine($"outcome {outcome}; ledger {entry}; group log: {string.Join(", ", changes.Select(c => $"{c.Change}@{c.At:O}"))}");
        Assert.Equal([FileGroups.Added, FileGroups.Removed], changes.Select(c => c.Change));
        Assert.False(IsMember(host), "alice is still in the group after her grant ended, and the ledger says it was never ours");
    }

    /// <summary>ATTACK 2. A version-1.0 instance (in flight across the upgrade; its add bypasses the ledger) and a 1.1
    /// grant for the same person and group. The 1.0 add lands first; the 1.1 add then finds her a member and, with no
    /// ledger entry of ours owning it, records Standing. The 1.0 end leaves her in (a live 1.1 grant "needs" it), the 1.1
    /// end leaves her in (standing): the membership outlives both grants.</summary>
    [Fact]
    public async Task LegacyGrantThenLedgerGrant_Overlapping_MembershipRemovedWhenTheLaterEnds()
    {
        await using var host = await TestHost.StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        using var alice = host.As(Alice);
        var current = await host.StartAccessAsync(12, "Production", alice);
        var currentPetition = (await host.WaitForPetitionAsync(current)).Petition!;
        var input = (await host.Durable.GetInstanceAsync(current, getInputsAndOutputs: true))!.ReadInputAs<ApprovalInput>()!;
        var legacy = ApprovalIds.New(WorkflowLabels.AccessAction, "production");
        await host.Durable.ScheduleNewOrchestrationInstanceAsync(nameof(AccessOrchestrator), input with { Access = input.Access! with { DurationSeconds = 6 } },
            new StartOrchestrationOptions(legacy) { Version = WorkflowVersions.First });
        var legacyPetition = (await host.WaitForPetitionAsync(legacy)).Petition!;

        host.Emulator.Claim(legacyPetition, Approve(), "bob@local");
        await host.WaitForStatusAsync(legacy, ApprovalStatuses.Active);
        host.Emulator.Claim(currentPetition, Approve(), "bob@local");
        await host.WaitForStatusAsync(current, ApprovalStatuses.Active);
        Assert.Equal(ApprovalStatuses.Active, (await host.ViewAsync(legacy)).Status); // they overlapped
        var legacyDone = await host.WaitForAsync(legacy, v => ApprovalStatuses.IsFinal(v.Status));
        var currentDone = await host.WaitForAsync(current, v => ApprovalStatuses.IsFinal(v.Status), timeoutMs: 30_000);
        await host.Host.Services.GetRequiredService<AccessReconciler>().RunOnceAsync(host.Durable);

        var changes = Changes(host.DataDirectory);
        output.WriteLine($"1.0: {legacyDone.Status} ({legacyDone.Detail}); 1.1: {currentDone.Status} ({currentDone.Detail}); ledger: {string.Join("; ", FileAccessLedgerStore.Read(host.DataDirectory))}; group log: {string.Join(", ", changes.Select(c => $"{c.Change}@{c.At:O}"))}");
        Assert.Equal([FileGroups.Added, FileGroups.Removed], changes.Select(c => c.Change));
        Assert.False(IsMember(host), "alice is still in the group after both grants ended");
    }

    /// <summary>ATTACK 3. The end of one grant (the workflow's EndAsync or the reconciler's settle) reads the ledger (no
    /// live grant), and before it removes, a second grant for the same person is recorded and its add finds her a member
    /// (Shared: the first grant still "may own" it). The settle then removes her: the second grant is live with no
    /// membership, and as Shared it is never added back. Promise: of two overlapping grants, the membership lasts until
    /// the later one ends.</summary>
    [Fact]
    public async Task SettleRacingASecondGrantsAdd_MembershipLastsUntilTheLaterGrantEnds()
    {
        await using var host = await TestHost.StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        using var alice = host.As(Alice);
        var first = await RunningApprovalAsync(host, alice);
        var second = await RunningApprovalAsync(host, alice); // both asked before either was added: no 409
        var store = host.Host.Services.GetRequiredService<IAccessLedgerStore>();
        var groups = host.Host.Services.GetRequiredService<IGroupMembership>();
        var ledger = host.Host.Services.GetRequiredService<AccessLedger>();
        var gate = new GateOnRemove(groups);
        var ending = new AccessLedger(store, gate, TimeProvider.System, NullLogger<AccessLedger>.Instance);

        await ledger.IntendAsync(first, Group, AliceId, DateTimeOffset.UtcNow.AddMinutes(10));
        Assert.Equal(GrantOutcomes.Added, await ledger.AddAsync(first, Group, AliceId));
        var end = ending.EndAsync(first, Group, AliceId); // the first grant ends (cancel, revoke, or its time)
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await ledger.IntendAsync(second, Group, AliceId, DateTimeOffset.UtcNow.AddMinutes(10)); // the second is granted meanwhile
        var secondOutcome = await ledger.AddAsync(second, Group, AliceId);
        gate.Release.SetResult();
        var removed = await end;
        await host.Host.Services.GetRequiredService<AccessReconciler>().RunOnceAsync(host.Durable); // second's workflow still runs: kept live

        var changes = Changes(host.DataDirectory);
        output.WriteLine($"second's add: {secondOutcome}; first's end removed: {removed}; second live/needed: {await ledger.IsNeededAsync(Group, AliceId)}; group log: {string.Join(", ", changes.Select(c => $"{c.Change}@{c.At:O}"))}");
        Assert.True(await ledger.IsNeededAsync(Group, AliceId), "the second grant is live");
        Assert.True(IsMember(host), "alice was removed while her second grant is live, and it will never add her back");

        await host.Durable.TerminateInstanceAsync(first);
        await host.Durable.TerminateInstanceAsync(second);
    }

    /// <summary>ATTACK 4. The add fails (Graph 503, nothing written) while an admin, seeing the tool fail, adds the person by
    /// hand; then the grant is revoked. The ledger still holds the failed add as "Adding" (it may have landed), so the end
    /// finds her a member and removes the admin's membership. Promise: never takes away what it did not give.</summary>
    [Fact]
    public async Task AdminAddedWhileOurAddWasFailing_ThenRevoked_AdminsMembershipKept()
    {
        await using var host = await TestHost.StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        var graph = host.Host.Services.GetRequiredService<GraphEmulator>();
        using var alice = host.As(Alice);
        var id = await host.StartAccessAsync(600, "Production", alice);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        graph.Faults.Set(new FaultSpec { Status = 503, Count = 10_000, PathContains = "/members/$ref", Method = "POST" });

        host.Emulator.Claim(petition, Approve(), "bob@local");
        await WaitUntilAsync(() => graph.Requests.Any(r => r.Method == "POST" && r.Path.Contains("/members/$ref", StringComparison.Ordinal) && r.Status == 503), TimeSpan.FromSeconds(30), "the add was never tried");
        Assert.True(host.Host.Services.GetRequiredService<FileGroups>().TryChange(Group, AliceId, FileGroups.Added)); // the admin's add
        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Revoke, Reason = "changed my mind" }, "bob@local");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), timeoutMs: 60_000);
        graph.Faults.Clear();
        await host.Host.Services.GetRequiredService<AccessReconciler>().RunOnceAsync(host.Durable);

        var changes = Changes(host.DataDirectory);
        output.WriteLine($"{done.Status} ({done.Detail}); ledger: {string.Join("; ", FileAccessLedgerStore.Read(host.DataDirectory))}; group log: {string.Join(", ", changes.Select(c => $"{c.Change}@{c.At:O}"))}");
        Assert.DoesNotContain(graph.Requests, r => r.Method == "POST" && r.Path.Contains("/members/$ref", StringComparison.Ordinal) && r.Status < 300); // ours never landed
        Assert.Equal([FileGroups.Added], changes.Select(c => c.Change)); // only the admin's add
        Assert.True(IsMember(host), "the admin's membership was removed by a grant that never added it");
    }

    /// <summary>ATTACK 5. A cancel (or a short grant's end) moments after the add, against Entra's eventually consistent
    /// membership read: the settle removes only when <c>checkMemberGroups</c> says she is a member, a lagging replica says
    /// she is not, and the entry is marked settled anyway — so no later pass (the reconciler lists only unsettled
    /// entries) ever looks again. The DELETE is idempotent (404 = already out); gating it on a read opens the hole.</summary>
    [Fact]
    public async Task EndRightAfterTheAdd_MembershipReadLagging_StillRemoved()
    {
        await using var host = await TestHost.StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        using var alice = host.As(Alice);
        var id = await RunningApprovalAsync(host, alice);
        var store = host.Host.Services.GetRequiredService<IAccessLedgerStore>();
        var ledger = host.Host.Services.GetRequiredService<AccessLedger>();
        var lagging = new AccessLedger(store, new LaggingCheck(host.Host.Services.GetRequiredService<IGroupMembership>()), TimeProvider.System, NullLogger<AccessLedger>.Instance);

        await ledger.IntendAsync(id, Group, AliceId, DateTimeOffset.UtcNow.AddMinutes(10));
        Assert.Equal(GrantOutcomes.Added, await ledger.AddAsync(id, Group, AliceId));
        var removed = await lagging.EndAsync(id, Group, AliceId); // the cancel, a moment later
        await host.Durable.TerminateInstanceAsync(id);
        await host.Durable.WaitForInstanceCompletionAsync(id);
        await host.Host.Services.GetRequiredService<AccessReconciler>().RunOnceAsync(host.Durable); // the replica has caught up by now

        var changes = Changes(host.DataDirectory);
        output.WriteLine($"end removed: {removed}; ledger: {FileAccessLedgerStore.Read(host.DataDirectory).Single(e => e.ApprovalId == id)}; group log: {string.Join(", ", changes.Select(c => $"{c.Change}@{c.At:O}"))}");
        Assert.Equal([FileGroups.Added, FileGroups.Removed], changes.Select(c => c.Change));
        Assert.False(IsMember(host), "alice is still in the group after her grant was cancelled");
    }

    /// <summary>ATTACK 6 (held). The start-time standing-member check must fail closed: with Graph answering 503 to
    /// <c>checkMemberGroups</c> (through the resilience pipeline's retries), the request is refused 503 and nothing is
    /// started, so an existing member cannot slip through and later be removed by us.</summary>
    [Fact]
    public async Task StandingCheckUnavailable_AtStart_FailsClosed()
    {
        await using var host = await TestHost.StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        var graph = host.Host.Services.GetRequiredService<GraphEmulator>();
        using var alice = host.As(Alice);
        Assert.True(host.Host.Services.GetRequiredService<FileGroups>().TryChange(Group, AliceId, FileGroups.Added)); // she is a member already
        graph.Faults.Set(new FaultSpec { Status = 503, Count = 10_000, PathContains = "/checkMemberGroups" });

        using var response = await alice.PostAsync("api/access-requests", System.Net.Http.Json.JsonContent.Create(
            new Core.Http.AccessRequestBody { Resource = "Production", Reason = "to debug production", DurationSeconds = 60 }, Core.Http.ApiJsonContext.Default.AccessRequestBody));
        var body = await response.Content.ReadAsStringAsync();
        graph.Faults.Clear();
        output.WriteLine($"{(int)response.StatusCode}: {body}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Empty(FileAccessLedgerStore.Read(host.DataDirectory));
        Assert.Equal([FileGroups.Added], Changes(host.DataDirectory).Select(c => c.Change));
    }
}
