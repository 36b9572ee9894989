using System.Net;
using System.Text;
using System.Text.Json;
using Approvals.Core.Identity;
using Approvals.Core.Indent;
using Approvals.Core.Secrets;
using Approvals.Core.Step;
using Approvals.Core.Workflow;
using Approvals.Local.Emulator;
using Approvals.Local.Tests.Support;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using ApprovalRequest = Approvals.Core.Step.ApprovalRequest;

namespace Approvals.Local.Tests.Step;

/// <summary>What an attacking caller's orchestrator asks: the reason, who asks, an optional instance id of its own for
/// the step, the deadline, the poll and the duration asked for.</summary>
public sealed record AttackCall(string Reason, Requester Requester, string? StepId = null, int DeadlineSeconds = 600, int PollSeconds = 60, int? DurationSeconds = null, string ResourceId = "storage-key:prod");

/// <summary>A caller as another app writes it: shows the step's id in its custom status and returns the step's answer.</summary>
public sealed class AttackCallerOrchestrator : TaskOrchestrator<AttackCall, ApprovalStepResult>
{
    public override async Task<ApprovalStepResult> RunAsync(TaskOrchestrationContext context, AttackCall input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var step = input.StepId ?? ApprovalStep.NewInstanceId(context);
        context.SetCustomStatus(step);
        // The branching form: it returns the refusal, where RequestApprovalAsync throws it (what Claim 3 asks).
        return await context.TryRequestApprovalAsync(
            new ApprovalRequest(input.Reason, new ApprovalResource("secret", input.ResourceId, "Production storage key"), input.Requester, TimeSpan.FromSeconds(input.DeadlineSeconds))
            {
                PollInitial = TimeSpan.FromSeconds(input.PollSeconds),
                PollMax = TimeSpan.FromSeconds(input.PollSeconds),
                Duration = input.DurationSeconds is { } d ? TimeSpan.FromSeconds(d) : null,
            },
            step);
    }
}

/// <summary>A caller that awaits the step and then acts, as a caller who forgets to look at the answer would: the
/// documented API lets it compile and run.</summary>
public sealed class ForgetfulCallerOrchestrator : TaskOrchestrator<AttackCall, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, AttackCall input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var step = ApprovalStep.NewInstanceId(context);
        context.SetCustomStatus(step);
        await context.RequestApprovalAsync(
            new ApprovalRequest(input.Reason, new ApprovalResource("secret", input.ResourceId, "Production storage key"), input.Requester, TimeSpan.FromSeconds(input.DeadlineSeconds))
            {
                PollInitial = TimeSpan.FromSeconds(input.PollSeconds),
                PollMax = TimeSpan.FromSeconds(input.PollSeconds),
            },
            step);
        return "acted";
    }
}

public sealed class AttackHost : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Host = await TestHost.StartAsync(addTasks: tasks => tasks
            .AddOrchestrator<AttackCallerOrchestrator>()
            .AddOrchestrator<ForgetfulCallerOrchestrator>()
            .AddOrchestrator<ApprovalStepOrchestrator>());

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Attacks on the approval step's claims, on the embedded engine against the Indent emulator. Each test fails
/// when the claim it names is broken.</summary>
public sealed class StepAttackTests(AttackHost fixture) : IClassFixture<AttackHost>
{
    const int Bound = 30_000;

    TestHost Host => fixture.Host;

    static Requester Helpdesk => new(TestHost.CallerId, TestHost.Caller, "Helpdesk");

    async Task<(string Caller, string Step, string Petition)> StartAsync(AttackCall call, string orchestrator = nameof(AttackCallerOrchestrator))
    {
        var caller = await Host.Durable.ScheduleNewOrchestrationInstanceAsync(orchestrator, call);
        var started = await WaitAsync(caller, i => i.SerializedCustomStatus is not null);
        var stepId = JsonSerializer.Deserialize<string>(started.SerializedCustomStatus!)!;
        var waiting = await WaitAsync(stepId, i => Progress(i) is { Status: ApprovalStatuses.AwaitingApproval, Petition: not null });
        return (caller, stepId, Progress(waiting)!.Petition!);
    }

    static ApprovalProgressStatus? Progress(OrchestrationMetadata instance) =>
        instance.SerializedCustomStatus is { } json && json.TrimStart().StartsWith('{') ? JsonSerializer.Deserialize<ApprovalProgressStatus>(json, JsonSerializerOptions.Web) : null;

    async Task<OrchestrationMetadata> WaitAsync(string id, Func<OrchestrationMetadata, bool> until, int bound = Bound)
    {
        using var cts = new CancellationTokenSource(bound);
        while (true)
        {
            var instance = await Host.Durable.GetInstanceAsync(id, getInputsAndOutputs: true, cts.Token);
            if (instance is not null && until(instance))
            {
                return instance;
            }

            await Task.Delay(20, cts.Token);
        }
    }

    async Task<OrchestrationMetadata> DoneAsync(string caller)
    {
        using var cts = new CancellationTokenSource(Bound);
        return await Host.Durable.WaitForInstanceCompletionAsync(caller, getInputsAndOutputs: true, cts.Token);
    }

    async Task<ApprovalStepResult> ResultAsync(string caller)
    {
        var done = await DoneAsync(caller);
        Assert.True(OrchestrationRuntimeStatus.Completed == done.RuntimeStatus, $"caller {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        return done.ReadOutputAs<ApprovalStepResult>()!;
    }

    static string Why(ApprovalStepResult r) => r.IsGranted
        ? $"GRANT approver={r.Grant!.Approver} approverId={r.Grant.ApproverId} petition={r.Grant.Petition} duration={r.Grant.Duration}"
        : $"refusal {r.Refusal!.Reason}: {r.Refusal.Detail}";

    static string NewHex() => Guid.NewGuid().ToString("N")[..16];

    // ---------- Claim 1: four eyes ----------

    /// <summary>The requester is identified (as the resolver itself accepts for an approver) by their user principal
    /// name; they approve their own request as themselves.</summary>
    [Fact]
    public async Task Claim1_RequesterGivenByUpn_ApprovesOwnRequest_NeverGranted()
    {
        var carol = new Requester("carol@local", "carol@local", "Carol Chen");
        var (caller, _, petition) = await StartAsync(new AttackCall("self approve by upn", carol));

        Host.ApproveAsAPerson(petition, "carol@local");
        var result = await ResultAsync(caller);

        Assert.False(result.IsGranted, "requester carol@local approved her own request and got: " + Why(result));
    }

    /// <summary>The requester (by object id) approves through a proxy alias and through an Indent actor that carries
    /// only a chat id and the alias in altIds.</summary>
    [Fact]
    public async Task Claim1_RequesterApprovesViaAlias_Denied()
    {
        var carol = new Requester("carol", "carol.chen@local", "Carol Chen");
        var (caller, _, petition) = await StartAsync(new AttackCall("self approve by alias", carol));
        Host.ApproveAsAPerson(petition, "cc@local");
        var result = await ResultAsync(caller);
        Assert.False(result.IsGranted, Why(result));
        Assert.Equal(ApprovalRefusalReason.Denied, result.Refusal!.Reason);

        var (caller2, _, petition2) = await StartAsync(new AttackCall("self approve by altIds", carol));
        Host.Emulator.Claim(petition2, new IndentEvent { EventType = IndentEventTypes.Approve }, new Resource { Kind = "user", Id = "U0SLACKCAROL", AltIds = ["SMTP:Carol.Home@example.com "] });
        var result2 = await ResultAsync(caller2);
        Assert.False(result2.IsGranted, Why(result2));
    }

    /// <summary>An approver the directory does not know, and a disabled one.</summary>
    [Fact]
    public async Task Claim1_UnresolvableOrDisabledApprover_Denied()
    {
        var (caller, _, petition) = await StartAsync(new AttackCall("stranger", Helpdesk));
        Host.ApproveAsAPerson(petition, "mallory@elsewhere.test");
        var result = await ResultAsync(caller);
        Assert.False(result.IsGranted, Why(result));
        Assert.Equal(ApprovalRefusalReason.Denied, result.Refusal!.Reason);

        var (caller2, _, petition2) = await StartAsync(new AttackCall("disabled", Helpdesk));
        Host.ApproveAsAPerson(petition2, "dana@local");
        var result2 = await ResultAsync(caller2);
        Assert.False(result2.IsGranted, Why(result2));
    }

    // ---------- Claim 1: webhooks ----------

    /// <summary>An unsigned and a wrongly signed webhook claiming the grant are refused (401); a decision raised on the
    /// step directly (what a forged-but-accepted webhook would do) naming an approver is only a hint: a deny then wins.</summary>
    [Fact]
    public async Task Claim1_ForgedWebhookAndForgedHint_NeverGrant()
    {
        var (caller, step, petition) = await StartAsync(new AttackCall("forged webhook", Helpdesk));
        var body = JsonSerializer.Serialize(new
        {
            events = new[]
            {
                new { @event = IndentEventTypes.Grant, actor = new { kind = "user", id = "bob", email = "bob@local" }, resources = new[] { new { kind = "secret", id = "storage-key:prod", labels = new Dictionary<string, string> { [WorkflowLabels.Instance] = step, ["petition"] = petition } } }, meta = new { labels = new Dictionary<string, string> { ["petition"] = petition } } },
            },
        });
        using var unsigned = new HttpClient { BaseAddress = Host.Host.BaseAddress };
        using var r1 = await unsigned.PostAsync(new Uri("api/webhooks/indent", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, r1.StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "api/webhooks/indent") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        wrong.Headers.Add("X-Indent-Timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        wrong.Headers.Add("X-Indent-Signature", "v0=" + new string('a', 64));
        using var r2 = await unsigned.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, r2.StatusCode);

        // A hint naming a grant and an approver reaches the step itself.
        await Host.Durable.RaiseEventAsync(step, ApprovalEvents.IndentDecision, new IndentDecision(petition, IndentEventTypes.Grant, "forged", "bob@local"));
        Host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Deny }, "bob@local");
        var result = await ResultAsync(caller);
        Assert.False(result.IsGranted, Why(result));
        Assert.Equal(ApprovalRefusalReason.Denied, result.Refusal!.Reason);
    }

    /// <summary>A validly delivered webhook for ANOTHER step's grant must not grant this one, and the approver and
    /// duration of a grant come from Indent, not the hint.</summary>
    [Fact]
    public async Task Claim1And2_HintForAnotherInstance_AndHintActor_Ignored()
    {
        var (callerA, stepA, petitionA) = await StartAsync(new AttackCall("a", Helpdesk));
        var (callerB, _, petitionB) = await StartAsync(new AttackCall("b", Helpdesk, DurationSeconds: 3600));

        // Step A is told (as if by a webhook) that petition B was granted by alice.
        await Host.Durable.RaiseEventAsync(stepA, ApprovalEvents.IndentDecision, new IndentDecision(petitionB, IndentEventTypes.Grant, "x", "alice@local"));
        Host.Emulator.Claim(petitionB, new IndentEvent { EventType = IndentEventTypes.Approve, Meta = new ObjectMeta { Labels = new Dictionary<string, string> { [IndentLabels.Duration] = "30m0s" } } }, "bob@local");
        var b = await ResultAsync(callerB);
        Assert.True(b.IsGranted, Why(b));
        Assert.Equal("bob", b.Grant!.ApproverId);
        Assert.Equal(TimeSpan.FromMinutes(30), b.Grant.Duration);

        Host.Emulator.Claim(petitionA, new IndentEvent { EventType = IndentEventTypes.Deny }, "bob@local");
        var a = await ResultAsync(callerA);
        Assert.False(a.IsGranted, Why(a));
    }

    // ---------- Claim 1: petitions of other instances, instance ids ----------

    /// <summary>The step started (as any caller can start it: its input is public) with the petition of another,
    /// granted step as its "continued" petition.</summary>
    [Fact]
    public async Task Claim1_PetitionOfAnotherInstance_InContinuation_Refused()
    {
        var (callerA, stepA, petitionA) = await StartAsync(new AttackCall("victim", Helpdesk));
        Host.ApproveAsAPerson(petitionA);
        Assert.True((await ResultAsync(callerA)).IsGranted);
        var inputA = (await Host.Durable.GetInstanceAsync(stepA, getInputsAndOutputs: true))!.ReadInputAs<ApprovalInput>()!;

        var thief = $"approval-step-{NewHex()}-{NewHex()}";
        await Host.Durable.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalStepOrchestrator), inputA with { Continued = new ApprovalContinuation(petitionA, DateTime.UtcNow, 0, 1) }, new StartOrchestrationOptions { InstanceId = thief });
        var result = await ResultAsync(thief);
        Assert.False(result.IsGranted, Why(result));
        Assert.Equal(ApprovalRefusalReason.Failed, result.Refusal!.Reason);
    }

    /// <summary>A caller-provided instance id used twice (a deterministic id, e.g. one per key): the second request —
    /// by another requester, for another reason — must get its own decision, never the first request's grant.</summary>
    [Fact]
    public async Task Claim1_CallerInstanceIdReused_SecondRequestNotGrantedByFirstPetition()
    {
        var fixedId = $"approval-step-rotate-{NewHex()}";
        var (caller1, _, petition1) = await StartAsync(new AttackCall("first: approved by bob", Helpdesk, fixedId));
        Host.ApproveAsAPerson(petition1);
        var first = await ResultAsync(caller1);
        Assert.True(first.IsGranted, Why(first));

        var alice = new Requester("alice", "alice@local", "Alice Jones");
        var caller2 = await Host.Durable.ScheduleNewOrchestrationInstanceAsync(nameof(AttackCallerOrchestrator), new AttackCall("second: a different request nobody approved", alice, fixedId, PollSeconds: 1));
        // Held: the second run waits on a petition of its own, or ends without a grant. Broken: it adopts petition 1.
        var seen = await WaitAsync(fixedId, i => i.IsCompleted && i.ReadInputAs<ApprovalInput>()?.UserId == "alice"
            || (i.ReadInputAs<ApprovalInput>()?.UserId == "alice" && Progress(i) is { Status: ApprovalStatuses.AwaitingApproval, Petition: { } p } && p != petition1));
        var caller2Now = await Host.Durable.GetInstanceAsync(caller2, getInputsAndOutputs: true);
        var second = caller2Now is { RuntimeStatus: OrchestrationRuntimeStatus.Completed } ? caller2Now.ReadOutputAs<ApprovalStepResult>() : null;
        Assert.False(second is { IsGranted: true }, "a request by alice that nobody approved was granted by the earlier request's petition: " + (second is null ? "" : Why(second)) + $" (first petition {petition1})");
        Assert.NotEqual(petition1, Progress(seen)?.Petition);
    }

    // ---------- Claim 1: revoke, deadline, cancel, continue-as-new ----------

    /// <summary>Approved, then revoked before the step read it (the grant's webhook was lost).</summary>
    [Fact]
    public async Task Claim1_RevokedBeforeRead_Revoked()
    {
        var (caller, _, petition) = await StartAsync(new AttackCall("revoke", Helpdesk, PollSeconds: 60));
        Host.Faults.Set(new FaultSpec { DropWebhooks = 1 });
        try
        {
            Host.ApproveAsAPerson(petition);
            Host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Revoke }, "bob@local");
            var result = await ResultAsync(caller);
            Assert.False(result.IsGranted, Why(result));
            Assert.Equal(ApprovalRefusalReason.Revoked, result.Refusal!.Reason);
        }
        finally
        {
            Host.Faults.Clear();
        }
    }

    /// <summary>No decision before a 5-second deadline: Expired, the petition is closed, and a later approval changes nothing.</summary>
    [Fact]
    public async Task Claim1_Deadline_Expired()
    {
        var (caller, _, petition) = await StartAsync(new AttackCall("deadline", Helpdesk, DeadlineSeconds: 5, PollSeconds: 1));
        var result = await ResultAsync(caller);
        Assert.False(result.IsGranted, Why(result));
        Assert.Equal(ApprovalRefusalReason.Expired, result.Refusal!.Reason);
        Assert.NotEqual(IndentPhases.Open, (await Host.Indent.GetPetitionAsync(petition)).Phase);
    }

    /// <summary>A cancel raised on the step, immediately followed by an approval: Cancelled, never a grant.</summary>
    [Fact]
    public async Task Claim1_CancelThenApprove_Cancelled()
    {
        var (caller, step, petition) = await StartAsync(new AttackCall("cancel", Helpdesk));
        await Host.Durable.RaiseEventAsync(step, ApprovalEvents.Cancel, new CancelRequest("withdrawn"));
        try
        {
            Host.ApproveAsAPerson(petition);
        }
        catch (EmulatorException)
        {
            // already closed by the cancel
        }

        var result = await ResultAsync(caller);
        Assert.False(result.IsGranted, Why(result));
        Assert.Equal(ApprovalRefusalReason.Cancelled, result.Refusal!.Reason);
    }

    /// <summary>A long wait (here: a flood of hints spends the execution's waits) continues the step as new; the caller
    /// must still receive the real outcome (a later grant by bob), not the first execution's "continued as new".</summary>
    [Fact]
    public async Task Claim1_ContinueAsNewDuringWait_CallerGetsTheRealOutcome()
    {
        var (caller, step, petition) = await StartAsync(new AttackCall("long wait", Helpdesk));
        for (var i = 0; i < ApprovalOrchestrator.MaxWaitsPerExecution + 10; i++)
        {
            await Host.Durable.RaiseEventAsync(step, ApprovalEvents.IndentDecision, new IndentDecision(petition, IndentEventTypes.Grant, "hint-" + i, null));
        }

        // Until the step has continued as new (its input carries the continuation) or the caller ended.
        var seen = await WaitAsync(step, i => i.IsCompleted || i.ReadInputAs<ApprovalInput>()?.Continued is not null);
        var callerNow = await Host.Durable.GetInstanceAsync(caller, getInputsAndOutputs: true);
        if (callerNow is { IsCompleted: true })
        {
            var early = callerNow.ReadOutputAs<ApprovalStepResult>();
            Assert.Fail($"the caller ended before any decision, on the step's first execution: {(early is null ? callerNow.RuntimeStatus.ToString() : Why(early))}");
        }

        Assert.False(seen.IsCompleted, "the step ended instead of continuing as new");
        Host.ApproveAsAPerson(petition);
        var result = await ResultAsync(caller);
        Assert.True(result.IsGranted, Why(result));
        Assert.Equal("bob", result.Grant!.ApproverId);
    }

    // ---------- Claim 2: the duration Indent recorded ----------

    /// <summary>The caller asks for an hour; the approver grants with no duration, and Indent records a grant without an
    /// expiry. The grant must report what Indent recorded, not the caller's ask.</summary>
    [Fact]
    public async Task Claim2_ApproverGaveNoDuration_GrantDurationIsNotTheCallersAsk()
    {
        var (caller, _, petition) = await StartAsync(new AttackCall("duration", Helpdesk, DurationSeconds: 3600));
        Host.ApproveAsAPerson(petition);
        var result = await ResultAsync(caller);
        Assert.True(result.IsGranted, Why(result));
        var recorded = await Host.Indent.GetPetitionAsync(petition);
        var expires = PetitionMachine.GrantExpiry(recorded);
        var approve = recorded.State!.EventHistory!.Last(e => e.EventType == IndentEventTypes.Approve);
        Assert.True(expires is null && approve.Meta?.Labels?.ContainsKey(IndentLabels.Duration) != true, "precondition: Indent recorded no duration");
        Assert.True(result.Grant!.Duration is null, $"Indent recorded no duration (no expiry, no duration label on the approve event), yet the grant reports {result.Grant.Duration} — the caller's ask");
    }

    // ---------- Claim 3: a refusal is never taken for a grant ----------

    /// <summary>A caller that awaits the step and forgets to look at the answer: a deny must not let it go on to act.</summary>
    [Fact]
    public async Task Claim3_CallerIgnoringTheResult_CannotActOnADeny()
    {
        var (caller, _, petition) = await StartAsync(new AttackCall("forgetful", Helpdesk), nameof(ForgetfulCallerOrchestrator));
        Host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Deny }, "bob@local");
        var done = await DoneAsync(caller);
        Assert.False(
            done.RuntimeStatus == OrchestrationRuntimeStatus.Completed && done.ReadOutputAs<string>() == "acted",
            "the petition was denied, yet a caller that awaited RequestApprovalAsync without checking its result went on and acted: the refusal is a return value, not an exception");
    }

    // ---------- Claim 4: no secret in durable state or logs ----------

    [Fact]
    public async Task Claim4_NoSecretInStepInputOutputStatusOrLogs()
    {
        var (caller, step, petition) = await StartAsync(new AttackCall("secrets", Helpdesk));
        Host.ApproveAsAPerson(petition);
        Assert.True((await ResultAsync(caller)).IsGranted);
        var secrets = Host.Host.Services.GetRequiredService<ISecretProvider>();
        var sealKeys = await secrets.GetSecretListAsync(PetitionSeal.KeySetting);
        var forbidden = new List<string> { TestHost.Token, TestHost.WebhookSecret };
        forbidden.AddRange(sealKeys);
        var texts = new List<string>();
        foreach (var id in new[] { caller, step })
        {
            var i = (await Host.Durable.GetInstanceAsync(id, getInputsAndOutputs: true))!;
            texts.AddRange(new[] { i.SerializedInput, i.SerializedOutput, i.SerializedCustomStatus }.OfType<string>());
        }

        texts.AddRange(Host.Logs.Lines);
        foreach (var secret in forbidden.Where(s => s.Length >= 8))
        {
            Assert.DoesNotContain(texts, t => t.Contains(secret, StringComparison.Ordinal));
        }
    }
}
