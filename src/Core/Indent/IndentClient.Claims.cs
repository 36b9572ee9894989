using System.Net.Http.Json;

namespace Approvals.Core.Indent;

public partial class IndentClient
{
    /// <summary>Posts a claim (a reviewer's or petitioner's action) on a petition. The claim carries an id,
    /// generated when absent, so a retried post is recognisable as the same claim.</summary>
    public virtual Task<IndentEvent> CreateClaimAsync(string petitionName, IndentEvent claim, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(petitionName);
        ArgumentNullException.ThrowIfNull(claim);
        var toSend = claim with { Id = string.IsNullOrEmpty(claim.Id) ? Guid.NewGuid().ToString("N") : claim.Id };
        return SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, $"{SpacePath}/petitions/{Uri.EscapeDataString(petitionName)}/claims")
            {
                Content = JsonContent.Create(new CreateClaimRequest(toSend), IndentJsonContext.Default.CreateClaimRequest),
            },
            IndentJsonContext.Default.IndentEvent,
            cancellationToken);
    }

    /// <summary>Approves; <paramref name="duration"/> <c>null</c> grants indefinitely.</summary>
    public virtual Task<IndentEvent> ApproveAsync(string petitionName, TimeSpan? duration = null, string? reason = null, string? claimId = null, CancellationToken cancellationToken = default)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (duration is { } d)
        {
            labels[IndentLabels.Duration] = GoDuration.Format(d);
        }

        return CreateClaimAsync(petitionName, new IndentEvent { EventType = IndentEventTypes.Approve, Id = claimId, Reason = reason, Meta = new ObjectMeta { Labels = labels } }, cancellationToken);
    }

    /// <summary>Denies, or (from the petitioner) closes the petition.</summary>
    public virtual Task<IndentEvent> DenyAsync(string petitionName, string? reason = null, string? claimId = null, CancellationToken cancellationToken = default) =>
        CreateClaimAsync(petitionName, new IndentEvent { EventType = IndentEventTypes.Deny, Id = claimId, Reason = reason }, cancellationToken);

    public virtual Task<IndentEvent> RevokeAsync(string petitionName, string? reason = null, string? claimId = null, CancellationToken cancellationToken = default) =>
        CreateClaimAsync(petitionName, new IndentEvent { EventType = IndentEventTypes.Revoke, Id = claimId, Reason = reason }, cancellationToken);
}
