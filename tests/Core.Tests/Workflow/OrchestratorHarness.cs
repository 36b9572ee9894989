using Approvals.Core.Actions;
using Approvals.Core.Step;
using Approvals.Core.Workflow;
using Microsoft.DurableTask;
using Moq;

namespace Approvals.Core.Tests.Workflow;

/// <summary>Runs <see cref="ApprovalOrchestrator"/> on a Moq <see cref="TaskOrchestrationContext"/> whose timers,
/// events and activities the test completes by hand, in order, with its own clock.</summary>
public sealed class OrchestratorHarness
{
    public Mock<TaskOrchestrationContext> Context { get; } = new(MockBehavior.Strict);
    public DateTime Now { get; set; } = new(2026, 11, 28, 9, 0, 0, DateTimeKind.Utc);
    public List<(DateTime FireAt, TaskCompletionSource Source, CancellationToken Token)> Timers { get; } = [];
    public List<TaskCompletionSource<IndentDecision>> DecisionWaits { get; } = [];
    public TaskCompletionSource<CancelRequest> CancelWait { get; } = new();
    public Queue<Func<PetitionSnapshot>> Reads { get; } = new();
    public List<object?> CustomStatuses { get; } = [];
    public List<(string Name, object? Input, TaskOptions? Options)> Calls { get; } = [];
    public Func<PetitionRef> CreatePetition { get; set; } = () => new PetitionRef("pet-1", "acmecorp");
    public Func<PasswordResetOutcome> ResetPassword { get; set; } = () => new PasswordResetOutcome("123", "https://kv.vault.azure.net/secrets/tmp-pw-x/1", DateTimeOffset.UnixEpoch, true);
    public object? ContinuedWith { get; private set; }

    /// <summary>The approval step's requester lookup: by default the requester as given is the directory person.</summary>
    public Func<Identity.Requester, RequesterResolution> ResolveRequester { get; set; } = requester => new(requester, null);

    public static ApprovalInput Input(int deadlineSeconds = 3600, int pollInitial = 2, int pollMax = 60) =>
        new("reset-password", "123", "to recover account", deadlineSeconds, pollInitial, pollMax, "hash", DateTimeOffset.UnixEpoch,
            RequestedBy: new Identity.Requester("helpdesk-oid", "helpdesk@acme.test", "Helpdesk"), Target: new TargetUser("123", "Sam Quickstart", ["sam@acme.test"]));

    public OrchestratorHarness()
    {
        Context.SetupGet(c => c.InstanceId).Returns("reset-password-123-0123456789abcdef");
        Context.SetupGet(c => c.CurrentUtcDateTime).Returns(() => Now);
        Context.SetupGet(c => c.IsReplaying).Returns(false);
        Context.SetupGet(c => c.Version).Returns(WorkflowVersions.Current);
        Context.Setup(c => c.SetCustomStatus(It.IsAny<object?>())).Callback<object?>(CustomStatuses.Add);
        Context.Setup(c => c.CreateTimer(It.IsAny<DateTime>(), It.IsAny<CancellationToken>()))
            .Returns<DateTime, CancellationToken>((fireAt, token) =>
            {
                var source = new TaskCompletionSource();
                Timers.Add((fireAt, source, token));
                return source.Task;
            });
        Context.Setup(c => c.WaitForExternalEvent<IndentDecision>(ApprovalEvents.IndentDecision, It.IsAny<CancellationToken>()))
            .Returns(() =>
            {
                var source = new TaskCompletionSource<IndentDecision>();
                DecisionWaits.Add(source);
                return source.Task;
            });
        Context.Setup(c => c.WaitForExternalEvent<CancelRequest>(ApprovalEvents.Cancel, It.IsAny<CancellationToken>())).Returns(CancelWait.Task);
        Context.Setup(c => c.CallActivityAsync<PetitionRef>(It.Is<TaskName>(n => n == nameof(CreatePetitionActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns<TaskName, object?, TaskOptions?>((n, i, o) => Record(n, i, o, () => CreatePetition()));
        Context.Setup(c => c.CallActivityAsync<RequesterResolution>(It.Is<TaskName>(n => n == nameof(ResolveRequesterActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns<TaskName, object?, TaskOptions?>((n, i, o) => Record(n, i, o, () => ResolveRequester((Identity.Requester)i!)));
        Context.Setup(c => c.CallActivityAsync<PetitionSnapshot>(It.Is<TaskName>(n => n == nameof(GetPetitionActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns<TaskName, object?, TaskOptions?>((n, i, o) => Record(n, i, o, () => Reads.Count > 0 ? Reads.Dequeue()() : Snapshot("open")));
        Context.Setup(c => c.CallActivityAsync<PasswordResetOutcome>(It.Is<TaskName>(n => n == nameof(ResetPasswordActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns<TaskName, object?, TaskOptions?>((n, i, o) => Record(n, i, o, () => ResetPassword()));
        // The fast path's read-and-act: the same reads and resets as the two activities above, in one call.
        Context.Setup(c => c.CallActivityAsync<VerifiedReset>(It.Is<TaskName>(n => n == nameof(VerifyAndResetActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns<TaskName, object?, TaskOptions?>((n, i, o) => Record(n, i, o, () =>
            {
                var input = (VerifyAndResetInput)i!;
                var snapshot = Reads.Count > 0 ? Reads.Dequeue()() : Snapshot("open");
                if (!snapshot.IsGranted || FourEyes.Refusal(input.RequestedBy, input.Target, snapshot) is not null)
                {
                    return new VerifiedReset(snapshot);
                }

                ResetsOnRead++;
                try
                {
                    return new VerifiedReset(snapshot, ResetPassword());
                }
                catch (TaskFailedException e)
                {
                    return new VerifiedReset(snapshot, Error: e.FailureDetails.ErrorMessage, Permanent: ApprovalOrchestrator.IsPermanent(e.FailureDetails));
                }
            }));
        Context.Setup(c => c.CallActivityAsync(It.Is<TaskName>(n => n == nameof(ClosePetitionActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns<TaskName, object?, TaskOptions?>((n, i, o) => Record<object?>(n, i, o, () => null));
        Context.Setup(c => c.ContinueAsNew(It.IsAny<object?>(), It.IsAny<bool>())).Callback<object?, bool>((input, _) => ContinuedWith = input);
    }

    /// <summary>Records a call (in <see cref="Calls"/>) and answers it with <paramref name="result"/>, or its task failure.</summary>
    public Task<T> Record<T>(TaskName name, object? input, TaskOptions? options, Func<T> result)
    {
        Calls.Add((name.Name, input, options));
        try
        {
            return Task.FromResult(result());
        }
        catch (TaskFailedException e)
        {
            return Task.FromException<T>(e);
        }
    }

    public static PetitionSnapshot Snapshot(string phase, string? by = null) => new("pet-1", phase, by, null);

    public static TaskFailedException Failure(string task, string message = "Indent API GET failed with HTTP 503") =>
        new(task, 1, new TaskFailureDetails("Approvals.Core.Indent.IndentApiException", message, null, null, null));

    public Task<ApprovalResult> Start(ApprovalInput? input = null)
    {
        input ??= Input();
        DeadlineAt = (input.Continued?.StartedAt ?? Now).AddSeconds(input.DeadlineSeconds);
        return new ApprovalOrchestrator().RunAsync(Context.Object, input);
    }

    /// <summary>When the started approval's deadline falls (the due time of its last poll; there is no deadline timer).</summary>
    public DateTime DeadlineAt { get; private set; }

    public int CallsTo(string name) => Calls.Count(c => c.Name == name);

    /// <summary>Resets attempted by a read-and-act call.</summary>
    public int ResetsOnRead { get; private set; }

    /// <summary>Password resets attempted, alone or within a read.</summary>
    public int Resets => CallsTo(nameof(ResetPasswordActivity)) + ResetsOnRead;

    /// <summary>Reads of the petition, alone or with the action.</summary>
    public int PetitionReads => CallsTo(nameof(GetPetitionActivity)) + CallsTo(nameof(VerifyAndResetActivity));

    public (DateTime FireAt, TaskCompletionSource Source, CancellationToken Token) CurrentPoll => Timers[^1];

    public void FirePoll()
    {
        var poll = CurrentPoll;
        Now = poll.FireAt;
        poll.Source.SetResult();
    }

    /// <summary>The clock reaches the deadline and the poll timer then due fires (a durable timer may fire late).</summary>
    public void FireDeadline()
    {
        Now = DeadlineAt;
        CurrentPoll.Source.SetResult();
    }

    public void Webhook(string eventType = "access/grant", string? actor = "mary@acme.test") =>
        DecisionWaits[^1].SetResult(new IndentDecision("pet-1", eventType, "evt-1", actor));
}
