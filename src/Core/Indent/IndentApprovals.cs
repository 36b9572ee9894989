using Approvals.Core.Secrets;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Indent;

/// <summary>What to ask approval for: the C# shape of the Indent quickstart's <c>approval({...})</c>.</summary>
public sealed record ApprovalRequest
{
    public required string Reason { get; init; }
    public required IReadOnlyList<Resource> Resources { get; init; }

    /// <summary>Who asks; the token's <c>sub</c> (the caller's email) when not given.</summary>
    public Resource? Petitioner { get; init; }

    public IDictionary<string, string>? Labels { get; init; }

    /// <summary>How long to wait for a decision. Default 10 s ("95% of approvals take less than 10 seconds").</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First poll; each later poll doubles the elapsed time (2 s, 4 s, 8 s …).</summary>
    public TimeSpan FirstPoll { get; init; } = TimeSpan.FromSeconds(2);
}

public enum ApprovalOutcome
{
    Granted,
    Denied,
    Revoked,
    TimedOut,
}

public sealed record IndentApprovalResult(ApprovalOutcome Outcome, Petition Petition, TimeSpan Elapsed)
{
    public bool IsGranted => Outcome == ApprovalOutcome.Granted;
}

/// <summary>Progress of an <see cref="IndentApprovals.RequestAsync"/> call. <see cref="ToString"/> gives the
/// quickstart's own lines.</summary>
public abstract record ApprovalProgress
{
    public sealed record Requested(string Space, string PetitionName) : ApprovalProgress
    {
        public override string ToString() => $"⏵ Requested approval #{Space}/{PetitionName}";
    }

    public sealed record Waiting(TimeSpan Elapsed) : ApprovalProgress
    {
        public override string ToString() => $"↳ Waiting for approval... ({(int)Math.Round(Elapsed.TotalSeconds)}s elapsed)";
    }

    public sealed record Decided(ApprovalOutcome Outcome) : ApprovalProgress
    {
        public override string ToString() => OutcomeLine(Outcome);
    }

    public static string OutcomeLine(ApprovalOutcome outcome) => outcome switch
    {
        ApprovalOutcome.Granted => "✅ Granted",
        ApprovalOutcome.Denied => "❌ Denied",
        ApprovalOutcome.Revoked => "⛔ Revoked",
        _ => "⌛ Timed out waiting for approval",
    };
}

/// <summary>The Indent quickstart as a .NET call: create a petition, poll at 2 s, 4 s, 8 s … up to a timeout,
/// report progress, return the decision. For waits longer than a console session, use the durable workflow.</summary>
public sealed class IndentApprovals(IndentClient client, ISecretProvider secrets, TimeProvider timeProvider, ILogger<IndentApprovals> logger)
{
    public async Task<IndentApprovalResult> RequestAsync(ApprovalRequest request, IProgress<ApprovalProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Reason);
        if (request.Resources.Count == 0)
        {
            throw new ArgumentException("At least one resource is required.", nameof(request));
        }

        if (request.Timeout <= TimeSpan.Zero || request.FirstPoll <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(request), "Timeout and FirstPoll must be positive.");
        }

        var petitioner = request.Petitioner ?? await PetitionerFromTokenAsync(cancellationToken);
        var started = timeProvider.GetTimestamp();
        var petition = await client.CreatePetitionAsync(new Petition
        {
            Petitioners = [petitioner],
            Resources = request.Resources,
            Reason = request.Reason,
            Meta = request.Labels is null ? null : new ObjectMeta { Labels = new Dictionary<string, string>(request.Labels) },
        }, cancellationToken);
        var name = petition.Name ?? throw new InvalidOperationException("Indent created a petition without a name.");
        progress?.Report(new ApprovalProgress.Requested(client.Space, name));
        logger.LogInformation("Petition {Petition} requested in {Space}", name, client.Space);

        var nextPoll = request.FirstPoll;
        while (true)
        {
            var pollAt = nextPoll < request.Timeout ? nextPoll : request.Timeout;
            var wait = pollAt - timeProvider.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, timeProvider, cancellationToken);
            }

            petition = await client.GetPetitionAsync(name, cancellationToken);
            var elapsed = timeProvider.GetElapsedTime(started);
            var outcome = Decide(petition.Phase);
            if (outcome is { } decided)
            {
                progress?.Report(new ApprovalProgress.Decided(decided));
                return new IndentApprovalResult(decided, petition, elapsed);
            }

            if (pollAt >= request.Timeout)
            {
                progress?.Report(new ApprovalProgress.Decided(ApprovalOutcome.TimedOut));
                return new IndentApprovalResult(ApprovalOutcome.TimedOut, petition, elapsed);
            }

            progress?.Report(new ApprovalProgress.Waiting(pollAt));
            nextPoll = pollAt * 2;
        }
    }

    /// <summary>Maps a phase to a final outcome; <c>null</c> while undecided.</summary>
    public static ApprovalOutcome? Decide(string? phase) => phase switch
    {
        IndentPhases.Granted => ApprovalOutcome.Granted,
        IndentPhases.Closed or IndentPhases.Deleted => ApprovalOutcome.Denied,
        IndentPhases.Revoked => ApprovalOutcome.Revoked,
        _ => null,
    };

    async Task<Resource> PetitionerFromTokenAsync(CancellationToken cancellationToken)
    {
        var token = await secrets.GetSecretAsync(IndentOptions.TokenSetting, cancellationToken);
        var subject = IndentToken.TryGetSubject(IndentAuthHandler.CheckToken(token))
            ?? throw new InvalidOperationException($"No petitioner given and the {IndentOptions.TokenSetting} token names no 'sub' claim; set ApprovalRequest.Petitioner.");
        return new Resource { Kind = "user", Id = subject, Email = subject.Contains('@') ? subject : null };
    }
}
