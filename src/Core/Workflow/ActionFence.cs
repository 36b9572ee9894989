namespace Approvals.Core.Workflow;

/// <summary>Where the fence's claims live: a table in the task hub's storage account (<see cref="TableActionFenceStore"/>:
/// Azure, and the local host on the Azure Storage engine), or a file in the data directory (the local host's in-memory
/// engine). One record per approval, written once: the first claim wins and is never replaced.</summary>
public interface IActionFenceStore
{
    /// <summary>Records <paramref name="claim"/> for <paramref name="approvalId"/> unless a claim is recorded already; returns
    /// the claim that stands (this one, or the earlier one).</summary>
    Task<string> ClaimAsync(string approvalId, string claim, CancellationToken cancellationToken = default);
}

/// <summary>The cancel's promise, made atomic with the act: "a 202 means no action will run". Before an action changes
/// anything, its activity claims the approval's fence for the act; before a cancel is answered 202, the cancel route
/// claims it for the cancel. The store keeps the first claim only, so exactly one of them wins, wherever the workflow is
/// (waiting, reading the petition back, about to act): a cancel that won stops every later act of that approval (a
/// redelivered or retried one included), and a cancel that lost is answered 409 — the action ran or is running.</summary>
public sealed class ActionFence(IActionFenceStore store)
{
    /// <summary>The claim of an act (its retries and redeliveries claim again and still win).</summary>
    public const string Act = "act";

    /// <summary>The claim of a cancel.</summary>
    public const string Cancel = "cancel";

    /// <summary>True when the approval may act: no cancel claimed it first.</summary>
    public async Task<bool> MayActAsync(string approvalId, CancellationToken cancellationToken = default) =>
        await store.ClaimAsync(approvalId, Act, cancellationToken) == Act;

    /// <summary>True when the cancel won: no action of this approval has started, and none will.</summary>
    public async Task<bool> CancelAsync(string approvalId, CancellationToken cancellationToken = default) =>
        await store.ClaimAsync(approvalId, Cancel, cancellationToken) == Cancel;

    /// <summary>Claims the act or throws <see cref="CancelledBeforeActionException"/> (the workflow then ends cancelled).</summary>
    public async Task ClaimActOrThrowAsync(string approvalId, CancellationToken cancellationToken = default)
    {
        if (!await MayActAsync(approvalId, cancellationToken))
        {
            throw new CancelledBeforeActionException(approvalId);
        }
    }
}

/// <summary>Thrown by an action's activity when a cancel claimed the approval's fence first: nothing was changed. Not retried
/// (<see cref="ApprovalOrchestrator.IsPermanent"/>); the workflow ends <c>cancelled</c>.</summary>
public sealed class CancelledBeforeActionException(string approvalId)
    : Exception($"Approval {approvalId} was cancelled before its action started; nothing was changed.");
