using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
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

/// <summary>Attack review (attack29) of the cancel's promises: "202 means no action will run", "a cancel that loses is
/// 409 and the approval completes", "only the requester or an admin cancels; bad input changes nothing; nothing secret
/// leaks", and "approvals of the previous orchestrators keep the same promise". Each test fails when its promise is
/// broken. Actions are counted from the local systems' own logs (the directory's reset count, the local Graph's request
/// log and group log), never from the workflow's status. Every wait is on a condition, bounded.</summary>
public sealed class CancelAttackTests(ITestOutputHelper output)
{
    static string User() => "ca" + Guid.NewGuid().ToString("N")[..10];

    public static TheoryData<string> Engines => [InMemory, AzureStorage];

    const string InMemory = "in memory";
    const string AzureStorage = "Azure Storage";

    /// <summary>Webhooks only: polls start at a minute, so every read is one the test caused. On "Azure Storage" the local
    /// host runs the Azure Storage engine against the Azurite that ./test.sh starts, with a task hub of its own (and so
    /// the table fence, TableActionFenceStore).</summary>
    static Task<TestHost> StartAsync(Dictionary<string, string?>? more = null, string engine = InMemory, string? dataDirectory = null, string? taskHub = null)
    {
        var settings = new Dictionary<string, string?> { ["APPROVALS_POLL_INITIAL_SECONDS"] = "60", ["APPROVALS_POLL_MAX_SECONDS"] = "60" };
        if (engine == AzureStorage)
        {
            RequireAzurite();
            settings["AzureWebJobsStorage"] = "UseDevelopmentStorage=true";
            settings["TASKHUB_NAME"] = taskHub ?? NewTaskHub();
        }

        foreach (var (k, v) in more ?? [])
        {
            settings[k] = v;
        }

        return TestHost.StartAsync(settings, dataDirectory: dataDirectory);
    }

    static string NewTaskHub() => "cat" + Guid.NewGuid().ToString("N")[..12];

    static void RequireAzurite()
    {
        using var probe = new System.Net.Sockets.TcpClient();
        try
        {
            probe.Connect("127.0.0.1", 10001);
        }
        catch (System.Net.Sockets.SocketException)
        {
            throw new InvalidOperationException("Azurite is not listening on 127.0.0.1:10000-10002; ./test.sh starts it (tests/node).");
        }
    }

    static async Task WaitUntilAsync(Func<bool> condition, string what, int timeoutMs = 20_000)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out waiting until " + what);
            await Task.Delay(20);
        }
    }

    static GraphEmulator Graph(TestHost host) => host.Host.Services.GetRequiredService<GraphEmulator>();

    /// <summary>The same approval id with the user part in capitals: still a valid id (ApprovalIds.IsValid allows both cases).</summary>
    static string CaseVariant(string id)
    {
        var last = id.LastIndexOf('-');
        var first = id.IndexOf('-', id.IndexOf('-') + 1); // after "reset-password"
        return id[..(first + 1)] + id[(first + 1)..last].ToUpperInvariant() + id[last..];
    }

    // ───────────────────────────── ATTACK 1: the same approval under another spelling of its id ─────────────────────────────

    /// <summary>ATTACK 1. The fence is keyed by the id string as the cancel route received it (ordinal), the engine finds
    /// the instance by the id too. If the engine's lookup is case-insensitive, a cancel spelled with the user part in
    /// capitals finds the approval, passes the owner check, and claims a fence record of its own — winning "its" race
    /// against an act that claimed the real id's record. Then: 202 and a reset.</summary>
    [Theory]
    [MemberData(nameof(Engines))]
    public async Task CancelSpelledWithAnotherCase_WhileTheResetIsWritten_Never202AndAReset(string engine)
    {
        await using var host = await StartAsync(engine: engine);
        var user = User();
        var id = await host.StartResetAsync(user);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        Graph(host).Faults.Set(new FaultSpec { Count = 1000, LatencyMs = 4000, Method = "PATCH", PathContains = "/users/" });

        host.ApproveAsAPerson(petition);
        await WaitUntilAsync(() => Graph(host).Faults.Fired > 0, "the reset's PATCH reached the local Graph (the act claimed the fence)");
        var variant = CaseVariant(id);
        Assert.True(ApprovalIds.IsValid(variant), variant);
        using var cancel = await host.Http.PostAsync($"api/approvals/{variant}/cancel", null);
        var body = await cancel.Content.ReadAsStringAsync();
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);
        output.WriteLine($"cancel as {variant}: HTTP {(int)cancel.StatusCode} {body}; then {done.Status} ({done.Detail}); {host.Resets(user)} reset(s)");

        Assert.False(cancel.StatusCode == HttpStatusCode.Accepted && host.Resets(user) > 0, $"202 to the cancel of {variant}, and the password of {user} was reset");
    }

    /// <summary>ATTACK 1b. The same, with no race at all: the approval is waiting; a cancel spelled with the user part in
    /// capitals. If it is answered 202 ("cancelled"), an approval afterwards must not reset the password.</summary>
    [Theory]
    [MemberData(nameof(Engines))]
    public async Task CancelSpelledWithAnotherCase_WhileWaiting_202MeansNoReset(string engine)
    {
        await using var host = await StartAsync(engine: engine);
        var user = User();
        var id = await host.StartResetAsync(user);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;

        var variant = CaseVariant(id);
        using var cancel = await host.Http.PostAsync($"api/approvals/{variant}/cancel", null);
        host.ApproveAsAPerson(petition); // the approver had not seen the cancel

        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);
        output.WriteLine($"{engine}: cancel as {variant}: HTTP {(int)cancel.StatusCode}; then {done.Status} ({done.Detail}); {host.Resets(user)} reset(s)");

        Assert.False(cancel.StatusCode == HttpStatusCode.Accepted && host.Resets(user) > 0, $"202 to the cancel of {variant}, and the password of {user} was reset");
    }

    // ───────────────────────────── helpers for the other actions ─────────────────────────────

    const string Alice = "alice@local";
    const string AliceId = "alice";
    const string Group = FileGroups.ProductionGroup;
    const string TapRoute = "api/actions/temporary-access-pass";

    /// <summary>Every petition read (GET …/petitions/…) takes 4 s from now on.</summary>
    static void SlowReads(TestHost host) =>
        host.Faults.Set(new FaultSpec { Count = 1000, LatencyMs = 4000, Method = "GET", PathContains = "/petitions/" });

    static async Task WaitForReadInFlightAsync(TestHost host) =>
        await WaitUntilAsync(() => host.Faults.Fired > 0, "the petition read that may act reached the Indent emulator and is held there");

    static List<LocalMembershipChange> Changes(TestHost host) =>
        FileGroups.Log(host.DataDirectory).Where(c => c.Group == Group && c.Member == AliceId).ToList();

    static string Describe(List<LocalMembershipChange> changes) => string.Join(", ", changes.Select(c => $"{c.Change}@{c.At:HH:mm:ss.fff}"));

    static int PassesCreated(TestHost host, string user) => Graph(host).Requests.Count(r => r.Method == "POST"
        && r.Path.EndsWith($"/users/{user}/authentication/temporaryAccessPassMethods", StringComparison.Ordinal) && r.Status == 201);

    static async Task<string> StartTapAsync(TestHost host, string user)
    {
        host.Know(user);
        using var response = await host.Http.PostAsync(TapRoute, JsonContent.Create(new { userId = user, reason = "locked out, phone lost", lifetimeMinutes = 60 }));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>A second instance of the same request on an orchestrator of an earlier version (what a deploy leaves
    /// running): the input of a current instance (then terminated, so only the legacy one acts), a new id.</summary>
    static async Task<string> StartLegacyAsync(TestHost host, string currentId, string orchestrator, string action, string idPart, string version)
    {
        var input = (await host.Durable.GetInstanceAsync(currentId, getInputsAndOutputs: true))!.ReadInputAs<ApprovalInput>()!;
        await host.Durable.TerminateInstanceAsync(currentId);
        await host.Durable.WaitForInstanceCompletionAsync(currentId, new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        var legacy = ApprovalIds.New(action, idPart);
        await host.Durable.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, new StartOrchestrationOptions(legacy) { Version = version });
        return legacy;
    }

    // ───────────────────────────── ATTACK 2: the Temporary Access Pass ─────────────────────────────

    /// <summary>ATTACK 2a. TAP: a cancel while the read that may also create the pass is in flight: 202, then cancelled and
    /// no pass in Graph.</summary>
    [Fact]
    public async Task Tap_CancelWhileTheReadThatMayActIsInFlight_202_NoPass()
    {
        await using var host = await StartAsync();
        var user = "tap" + Guid.NewGuid().ToString("N")[..10];
        var id = await StartTapAsync(host, user);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        SlowReads(host);

        host.ApproveAsAPerson(petition);
        await WaitForReadInFlightAsync(host);
        using var cancel = await host.Http.PostAsync($"api/approvals/{id}/cancel", null);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);
        output.WriteLine($"HTTP {(int)cancel.StatusCode}; {done.Status} ({done.Detail}); passes {PassesCreated(host, user)}");

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal(ApprovalStatuses.Cancelled, done.Status);
        Assert.Equal(0, PassesCreated(host, user));
    }

    /// <summary>ATTACK 2b. TAP: a cancel while Graph is creating the pass (the act claimed the fence): 409, then
    /// completed with one pass.</summary>
    [Fact]
    public async Task Tap_CancelWhileThePassIsCreated_409_Completed_OnePass()
    {
        await using var host = await StartAsync();
        var user = "tap" + Guid.NewGuid().ToString("N")[..10];
        var id = await StartTapAsync(host, user);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        Graph(host).Faults.Set(new FaultSpec { Count = 1000, LatencyMs = 4000, Method = "POST", PathContains = "temporaryAccessPassMethods" });

        host.ApproveAsAPerson(petition);
        await WaitUntilAsync(() => Graph(host).Faults.Fired > 0, "the pass's POST reached the local Graph");
        using var cancel = await host.Http.PostAsync($"api/approvals/{id}/cancel", null);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);
        output.WriteLine($"HTTP {(int)cancel.StatusCode}; {done.Status} ({done.Detail}); passes {PassesCreated(host, user)}");

        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Equal(1, PassesCreated(host, user));
    }

    // ───────────────────────────── ATTACK 3: time-boxed access before it is active ─────────────────────────────

    /// <summary>ATTACK 3a (current 1.1 and legacy 1.0 access). A cancel while the read that finds the grant is in flight:
    /// 202, then cancelled, and the group's own log shows no add.</summary>
    [Theory]
    [InlineData("1.1")]
    [InlineData("1.0")]
    public async Task Access_CancelWhileTheGrantIsBeingRead_202_NoMembership(string version)
    {
        await using var host = await StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        using var alice = host.As(Alice);
        var id = await host.StartAccessAsync(600, "Production", alice);
        await host.WaitForPetitionAsync(id);
        if (version == WorkflowVersions.First)
        {
            id = await StartLegacyAsync(host, id, nameof(AccessOrchestrator), WorkflowLabels.AccessAction, "production", WorkflowVersions.First);
        }

        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        SlowReads(host);
        host.ApproveAsAPerson(petition);
        await WaitForReadInFlightAsync(host);
        using var cancel = await alice.PostAsync($"api/approvals/{id}/cancel", null);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);
        output.WriteLine($"{version}: HTTP {(int)cancel.StatusCode}; {done.Status} ({done.Detail}); group log: {Describe(Changes(host))}");

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal(ApprovalStatuses.Cancelled, done.Status);
        Assert.DoesNotContain(Changes(host), c => c.Change == FileGroups.Added);
    }

    /// <summary>ATTACK 3b (current 1.1 and legacy 1.0 access). A cancel while Graph is adding the member (the act claimed the
    /// fence): 409, and the approval goes on to active (a later cancel then ends it).</summary>
    [Theory]
    [InlineData("1.1")]
    [InlineData("1.0")]
    public async Task Access_CancelWhileTheMemberIsAdded_409_ThenActive(string version)
    {
        await using var host = await StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        using var alice = host.As(Alice);
        var id = await host.StartAccessAsync(600, "Production", alice);
        await host.WaitForPetitionAsync(id);
        if (version == WorkflowVersions.First)
        {
            id = await StartLegacyAsync(host, id, nameof(AccessOrchestrator), WorkflowLabels.AccessAction, "production", WorkflowVersions.First);
        }

        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        Graph(host).Faults.Set(new FaultSpec { Count = 1000, LatencyMs = 4000, Method = "POST", PathContains = "/members/$ref" });
        host.ApproveAsAPerson(petition);
        await WaitUntilAsync(() => Graph(host).Faults.Fired > 0, "the add's POST reached the local Graph");
        using var cancel = await alice.PostAsync($"api/approvals/{id}/cancel", null);
        var active = await host.WaitForAsync(id, v => v.Status == ApprovalStatuses.Active || ApprovalStatuses.IsFinal(v.Status), 30_000);
        output.WriteLine($"{version}: HTTP {(int)cancel.StatusCode}; {active.Status} ({active.Detail}); group log: {Describe(Changes(host))}");

        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        Assert.Equal(ApprovalStatuses.Active, active.Status);
        using var end = await alice.PostAsync($"api/approvals/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, end.StatusCode);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);
        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Equal([FileGroups.Added, FileGroups.Removed], Changes(host).Select(c => c.Change));
    }

    /// <summary>Holds a removal until released: where another grant's settle has read the ledger and not yet removed.</summary>
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

    /// <summary>ATTACK 3c. The 1.1 access path records its grant in the ledger (RecordAccessGrantActivity) BEFORE it claims
    /// the fence (GrantAccessActivity). A cancel between the two wins the fence: 202. But the ledger entry of the cancelled
    /// approval A is live, and another grant B of the same person and group that is ending meanwhile (its settle read the
    /// ledger, then removes) finds A's live entry after its removal and "gives the membership back" to A
    /// (AccessLedger.SettleAsync → AddAsync(A)) — an add for A that no fence guards, after A's cancel was answered 202.
    /// (A's recorded-but-not-yet-acted state is produced here by the same ledger call RecordAccessGrantActivity makes.)</summary>
    [Fact]
    public async Task Access_CancelledAfterItsGrantWasRecorded_AnotherGrantsSettle_NeverAddsForIt()
    {
        await using var host = await StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        using var alice = host.As(Alice);
        var b = await host.StartAccessAsync(600, "Production", alice);
        await host.WaitForPetitionAsync(b);
        var a = await host.StartAccessAsync(600, "Production", alice);
        await host.WaitForPetitionAsync(a);
        var store = host.Host.Services.GetRequiredService<IAccessLedgerStore>();
        var ledger = host.Host.Services.GetRequiredService<AccessLedger>();
        var gate = new GateOnRemove(host.Host.Services.GetRequiredService<IGroupMembership>());
        var ending = new AccessLedger(store, gate, TimeProvider.System, NullLogger<AccessLedger>.Instance);

        await ledger.IntendAsync(b, Group, AliceId, DateTimeOffset.UtcNow.AddMinutes(10)); // B: recorded and added
        Assert.Equal(GrantOutcomes.Added, await ledger.AddAsync(b, Group, AliceId));
        var endB = ending.EndAsync(b, Group, AliceId); // B ends (its time, a revoke or a cancel): no live grant, removing
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        using var cancel = await alice.PostAsync($"api/approvals/{a}/cancel", null); // A is cancelled before it records its grant
        var answeredAt = DateTimeOffset.UtcNow;
        // A's workflow then records its grant, as RecordAccessGrantActivity does: it claims A's fence first, finds the cancel
        // there, and records nothing — so no settle of the membership can add for A (before the fix it recorded a live entry).
        var record = host.Host.Services.GetRequiredService<RecordAccessGrantActivity>();
        await Assert.ThrowsAsync<CancelledBeforeActionException>(() => record.RunAsync(null!, new AccessGrantInput(a, Group, AliceId, DateTimeOffset.UtcNow.AddMinutes(10))));
        gate.Release.SetResult();
        await endB.WaitAsync(TimeSpan.FromSeconds(30));
        var done = await host.WaitForAsync(a, v => ApprovalStatuses.IsFinal(v.Status), 30_000);
        await host.Host.Services.GetRequiredService<AccessReconciler>().RunOnceAsync(host.Durable);

        var changes = Changes(host);
        output.WriteLine($"A's cancel: HTTP {(int)cancel.StatusCode} at {answeredAt:HH:mm:ss.fff}; A {done.Status}; group log: {Describe(changes)}; ledger: {string.Join("; ", FileAccessLedgerStore.Read(host.DataDirectory))}");
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.False(changes.Any(c => c.Change == FileGroups.Added && c.At > answeredAt),
            $"alice was added to the group for approval {a} after its cancel was answered 202: {Describe(changes)}");
        await host.Durable.TerminateInstanceAsync(b);
    }

    // ───────────────────────────── ATTACK 4: the previous reset orchestrator (1.0) ─────────────────────────────

    /// <summary>ATTACK 4. A password reset started on ApprovalOrchestrator 1.0 before the deploy: a cancel while its
    /// VerifyAndResetActivity is reading is 202 and nothing is reset; one while its reset is written is 409 and completes.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LegacyReset_CancelDuringReadIs202AndNoReset_DuringWriteIs409AndOneReset(bool duringRead)
    {
        await using var host = await StartAsync();
        var user = User();
        var current = await host.StartResetAsync(user);
        await host.WaitForPetitionAsync(current);
        var id = await StartLegacyAsync(host, current, nameof(ApprovalOrchestrator), WorkflowLabels.ResetPasswordAction, user, WorkflowVersions.First);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        if (duringRead)
        {
            SlowReads(host);
        }
        else
        {
            Graph(host).Faults.Set(new FaultSpec { Count = 1000, LatencyMs = 4000, Method = "PATCH", PathContains = "/users/" });
        }

        host.ApproveAsAPerson(petition);
        if (duringRead)
        {
            await WaitForReadInFlightAsync(host);
        }
        else
        {
            await WaitUntilAsync(() => Graph(host).Faults.Fired > 0, "the reset's PATCH reached the local Graph");
        }

        using var cancel = await host.Http.PostAsync($"api/approvals/{id}/cancel", null);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);
        output.WriteLine($"1.0 reset, cancel during {(duringRead ? "read" : "write")}: HTTP {(int)cancel.StatusCode}; {done.Status} ({done.Detail}); {host.Resets(user)} reset(s)");

        Assert.Equal(duringRead ? HttpStatusCode.Accepted : HttpStatusCode.Conflict, cancel.StatusCode);
        Assert.Equal(duringRead ? ApprovalStatuses.Cancelled : ApprovalStatuses.Completed, done.Status);
        Assert.Equal(duringRead ? 0 : 1, host.Resets(user));
    }

    // ───────────────────────────── ATTACK 5: concurrent cancels ─────────────────────────────

    /// <summary>ATTACK 5. Twelve cancels at once (the requester and an admin) at each side of the race: they all get the
    /// same answer, and it is the truth (202 → cancelled, no reset; 409 → completed, one reset).</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ConcurrentCancels_AllOneAnswer_AndItHolds(bool duringRead)
    {
        await using var host = await StartAsync();
        using var admin = host.As("admin" + Guid.NewGuid().ToString("N")[..6] + "@local", Core.Identity.ApprovalsRoles.Admin);
        var user = User();
        var id = await host.StartResetAsync(user);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        if (duringRead)
        {
            SlowReads(host);
        }
        else
        {
            Graph(host).Faults.Set(new FaultSpec { Count = 1000, LatencyMs = 4000, Method = "PATCH", PathContains = "/users/" });
        }

        host.ApproveAsAPerson(petition);
        if (duringRead)
        {
            await WaitForReadInFlightAsync(host);
        }
        else
        {
            await WaitUntilAsync(() => Graph(host).Faults.Fired > 0, "the reset's PATCH reached the local Graph");
        }

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            using var r = await (i % 2 == 0 ? host.Http : admin).PostAsync($"api/approvals/{id}/cancel", null);
            return r.StatusCode;
        }));
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);
        output.WriteLine($"during {(duringRead ? "read" : "write")}: {string.Join(",", answers.Select(a => (int)a))}; {done.Status}; {host.Resets(user)} reset(s)");

        var expected = duringRead ? HttpStatusCode.Accepted : HttpStatusCode.Conflict;
        Assert.All(answers, a => Assert.Equal(expected, a));
        Assert.Equal(duringRead ? ApprovalStatuses.Cancelled : ApprovalStatuses.Completed, done.Status);
        Assert.Equal(duringRead ? 0 : 1, host.Resets(user));
    }

    // ───────────────────────────── ATTACK 6: restarts on the Azure Storage engine ─────────────────────────────

    /// <summary>ATTACK 6. On the Azure Storage engine: a cancel while the read that may act is in flight is answered 202,
    /// and the host stops at once (the read's activity and the Cancel event unprocessed). Started again on the same task
    /// hub and data, the workflow picks up the redelivered activity: still cancelled, no reset.</summary>
    [Fact]
    public async Task AzureStorage_Cancel202_ThenRestartBeforeTheWorkflowSawIt_StillNoReset()
    {
        var hub = NewTaskHub();
        var settings = new Dictionary<string, string?> { ["APPROVALS_ENGINE_VISIBILITY_TIMEOUT_SECONDS"] = "5" };
        var first = await StartAsync(settings, AzureStorage, taskHub: hub);
        var data = first.DataDirectory;
        string id, user;
        HttpStatusCode answer;
        try
        {
            user = User();
            id = await first.StartResetAsync(user);
            var petition = (await first.WaitForPetitionAsync(id)).Petition!;
            SlowReads(first);
            first.ApproveAsAPerson(petition);
            await WaitForReadInFlightAsync(first);
            using var cancel = await first.Http.PostAsync($"api/approvals/{id}/cancel", null);
            answer = cancel.StatusCode;
        }
        finally
        {
            first.Http.Dispose();
            await first.Host.DisposeAsync(); // the data directory and the task hub stay
        }

        await using var second = await StartAsync(settings, AzureStorage, dataDirectory: data, taskHub: hub);
        var done = await second.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 120_000);
        output.WriteLine($"HTTP {(int)answer} before the restart; after it: {done.Status} ({done.Detail}); {second.Resets(user)} reset(s)");

        Assert.Equal(HttpStatusCode.Accepted, answer);
        Assert.Equal(ApprovalStatuses.Cancelled, done.Status);
        Assert.Equal(0, second.Resets(user));
    }

    // ───────────────────────────── ATTACK 7: who may cancel; bad input; secrets ─────────────────────────────

    /// <summary>ATTACK 7. Refused cancels change nothing: another requester (404), an auditor (403), no token (401), a
    /// reason too long or with control characters (400), a body that is not JSON (400), an invalid id (404). None of
    /// them claims the fence: the approval still completes with one reset when approved. No cancel answer and no log line
    /// carries the temporary password, the Indent token or the webhook secret.</summary>
    [Fact]
    public async Task RefusedCancels_ChangeNothing_AndNothingSecretLeaks()
    {
        await using var host = await StartAsync();
        var user = User();
        var id = await host.StartResetAsync(user);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        using var other = host.As("mallory" + Guid.NewGuid().ToString("N")[..6] + "@local");
        using var auditor = host.As("audit" + Guid.NewGuid().ToString("N")[..6] + "@local", Core.Identity.ApprovalsRoles.Audit);
        using var anonymous = new HttpClient { BaseAddress = host.Host.BaseAddress };

        var answers = new List<(string What, HttpStatusCode Status, string Body)>();
        async Task Try(string what, HttpClient client, string path, HttpContent? content)
        {
            using var r = await client.PostAsync(path, content);
            answers.Add((what, r.StatusCode, await r.Content.ReadAsStringAsync()));
        }

        await Try("other requester", other, $"api/approvals/{id}/cancel", null);
        await Try("auditor", auditor, $"api/approvals/{id}/cancel", null);
        await Try("no token", anonymous, $"api/approvals/{id}/cancel", null);
        await Try("long reason", host.Http, $"api/approvals/{id}/cancel", JsonContent.Create(new { reason = new string('x', 501) }));
        await Try("control chars", host.Http, $"api/approvals/{id}/cancel", JsonContent.Create(new { reason = "a\u0007b" }));
        await Try("not json", host.Http, $"api/approvals/{id}/cancel", new StringContent("{", System.Text.Encoding.UTF8, "application/json"));
        await Try("bad id", host.Http, $"api/approvals/{Uri.EscapeDataString(id + "'")}/cancel", null);
        foreach (var a in answers)
        {
            output.WriteLine($"{a.What}: {(int)a.Status}");
        }

        Assert.Equal(HttpStatusCode.NotFound, answers[0].Status);
        Assert.Equal(HttpStatusCode.Forbidden, answers[1].Status);
        Assert.Equal(HttpStatusCode.Unauthorized, answers[2].Status);
        Assert.Equal(HttpStatusCode.BadRequest, answers[3].Status);
        Assert.Equal(HttpStatusCode.BadRequest, answers[4].Status);
        Assert.Equal(HttpStatusCode.BadRequest, answers[5].Status);
        Assert.Equal(HttpStatusCode.NotFound, answers[6].Status);

        host.ApproveAsAPerson(petition);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);
        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Equal(1, host.Resets(user));

        using var late = await host.Http.PostAsync($"api/approvals/{id}/cancel", null); // after the reset: 409
        answers.Add(("after the reset", late.StatusCode, await late.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        var password = (await host.Host.Services.GetRequiredService<FileCredentialStore>().GetAsync(PasswordResetService.CredentialName(id)))!.Value;
        foreach (var secret in new[] { password, TestHost.Token, TestHost.WebhookSecret })
        {
            Assert.DoesNotContain(answers, a => a.Body.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(host.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }
}
