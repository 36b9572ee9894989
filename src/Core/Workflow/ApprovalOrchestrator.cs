using Approvals.Core.Actions;
using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>Creates the petition, waits on the webhook or a backing-off poll (whichever comes first) until a decision,
/// a cancel or the deadline, verifies by reading the petition back, and resets the password only when granted.
/// Deterministic: time from the context, no I/O, one wait task per event that is reused until it completes.</summary>
public sealed class ApprovalOrchestrator : TaskOrchestrator<ApprovalInput, ApprovalResult>
{
    /// <summary>Indent calls: ride out outages of a few minutes; a permanent refusal (4xx) is not retried.</summary>
    public static readonly TaskOptions IndentRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 8,
        firstRetryInterval: TimeSpan.FromSeconds(2),
        backoffCoefficient: 2,
        maxRetryInterval: TimeSpan.FromMinutes(1))
    {
        HandleFailure = failure => !IsPermanent(failure),
    });

    /// <summary>Options for each attempt of the action. Retries are the orchestrator's own (see
    /// <see cref="ActionAttempts"/>), because each one re-reads the petition first: a grant revoked while the action was
    /// failing is not acted on.</summary>
    public static readonly TaskOptions ActionRetry = new();

    /// <summary>Attempts of the action, the first included; between them 2 s, 4 s … up to 30 s.</summary>
    public const int ActionAttempts = 5;

    /// <summary>True for a failure retrying cannot fix. Compared by type name: <c>TaskFailureDetails.IsCausedBy</c> resolves
    /// the name across every loaded assembly and throws when two define it (System.Net.Http.HttpRequestException does).</summary>
    public static bool IsPermanent(TaskFailureDetails failure) =>
        failure?.ErrorType == typeof(PermanentActivityFailureException).FullName || IsCancelledBeforeAction(failure);

    /// <summary>True when an action's activity found the approval's fence claimed by a cancel (<see cref="ActionFence"/>):
    /// nothing was changed, and the workflow ends cancelled.</summary>
    public static bool IsCancelledBeforeAction(TaskFailureDetails? failure) =>
        failure?.ErrorType == typeof(CancelledBeforeActionException).FullName;

    /// <summary>The least time between two petition reads prompted by webhook hints: hints in between (Indent's retries
    /// and duplicates, or a flood of validly signed ones) are answered by one read at its end, not one read each.</summary>
    public static readonly TimeSpan HintSpacing = TimeSpan.FromSeconds(1);

    /// <summary>Waits per execution before continuing as new, which keeps the history of a days-long wait bounded.</summary>
    public const int MaxWaitsPerExecution = 200;

    public override async Task<ApprovalResult> RunAsync(TaskOrchestrationContext context, ApprovalInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        WorkflowVersions.Require(context);
        return await new ResetRun(context, input).ExecuteAsync();
    }

    /// <summary>The password reset: the action, with its retries, once the grant is verified. While waiting, each read of
    /// the petition is also the action when the grant is there to be used (<see cref="VerifyAndResetActivity"/>): the
    /// fast path is one activity from the webhook to the reset.</summary>
    sealed class ResetRun(TaskOrchestrationContext context, ApprovalInput input) : ApprovalRun(context, input)
    {
        VerifiedReset? onRead;

        protected override bool ActedOnRead => onRead is { Outcome: not null } or { Error: not null };

        protected override async Task<PetitionSnapshot?> ReadForDecisionAsync(bool mayAct)
        {
            onRead = null;
            if (!mayAct)
            {
                return await ReadAsync();
            }

            try
            {
                onRead = await Context.CallActivityAsync<VerifiedReset>(
                    nameof(VerifyAndResetActivity),
                    new VerifyAndResetInput(ReadInput(), new ResetPasswordInput(Context.InstanceId, Input.UserId, PetitionName!), Input.RequestedBy, Input.Target),
                    IndentRetry);
                return onRead.Petition;
            }
            catch (TaskFailedException)
            {
                return null; // Indent unreachable for longer than the retries: not a decision, and nothing was done.
            }
        }

        protected override async Task<ApprovalResult> ActAsync(PetitionSnapshot granted)
        {
            if (onRead is { Outcome: { } done })
            {
                return Finish(ApprovalStatuses.Completed, granted.DecidedBy, Done(granted), done);
            }

            if (onRead is { CancelledFirst: true })
            {
                return await CancelledBeforeActionAsync(granted.DecidedBy);
            }

            if (onRead is { Error: { } error, Permanent: true })
            {
                return Finish(ApprovalStatuses.Failed, granted.DecidedBy, "the password reset failed: " + error);
            }

            PasswordResetOutcome? outcome = null;
            var failed = await AttemptAsync(
                granted.DecidedBy,
                "the password reset",
                async () => outcome = await Context.CallActivityAsync<PasswordResetOutcome>(
                    nameof(ResetPasswordActivity), new ResetPasswordInput(Context.InstanceId, Input.UserId, PetitionName!), ActionRetry),
                firstAttempt: onRead?.Error is null ? 1 : 2,
                lastError: onRead?.Error);
            return failed ?? Finish(ApprovalStatuses.Completed, granted.DecidedBy, Done(granted), outcome);
        }
    }

    static string Done(PetitionSnapshot granted) => FourEyes.Describe(granted) is { } how ? "password reset; " + how : "password reset";

    internal static string Describe(TaskFailedException e) => Shorten(e.FailureDetails.ErrorMessage);

    /// <summary>A failure's message as the workflow records it: at most 300 characters.</summary>
    internal static string Shorten(string message) => message.Length > 300 ? message[..300] : message;
}
