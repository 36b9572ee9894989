using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Approvals.Core.Actions;
using Approvals.Core.Identity;
using Approvals.Core.Secrets;
using Approvals.Core.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Approvals.Core.Http;

/// <summary>The public HTTP contract, written once against ASP.NET Core types; the Functions app and the local host
/// both call these methods. Bad input gets <c>application/problem+json</c> and starts nothing.</summary>
public sealed partial class ApprovalsApi(
    IOptions<WorkflowOptions> workflowOptions,
    IOptions<AccessOptions> accessOptions,
    IOptions<ApiOptions> apiOptions,
    SecretsReadiness readiness,
    IApprovalHistorySource history,
    Indent.IndentClient indent,
    IUserDirectory directory,
    ICredentialStore credentials,
    TimeProvider timeProvider,
    ActionFence fence,
    ILogger<ApprovalsApi> logger)
{
    readonly WorkflowOptions options = workflowOptions.Value;
    readonly ApiOptions api = apiOptions.Value;
    readonly AccessOptions access = accessOptions.Value;

    public const int MaxBodyBytes = 4096;
    public const int MaxReasonLength = 500;
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public async Task<Results<JsonHttpResult<ApprovalView>, ProblemHttpResult>> GetStatusAsync(string? id, HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var (_, metadata, refused) = await LoadAsync(id, request, client, Access.Read, cancellationToken);
        if (metadata is null)
        {
            return refused!;
        }

        var view = ToView(metadata, indent.Space);
        if (view.Result is { } result)
        {
            view = view with { Credential = await CredentialStateAsync(metadata.InstanceId, result.ExpiresOn, client, cancellationToken) };
        }

        return TypedResults.Json(view, ApiJsonContext.Default.ApprovalView);
    }

    /// <summary>What a route lets a caller do with an approval, by app role: a requester acts on their own; an
    /// auditor reads any; an admin cancels any.</summary>
    internal enum Access
    {
        Read,
        Cancel,
        Reveal,
    }

    /// <summary>Authenticates the caller and loads the approval if they may see it. Someone who may not see it gets the
    /// same 404 as for an approval that does not exist; someone who may see it but not do this gets 403.</summary>
    async Task<(Caller? Caller, OrchestrationMetadata? Metadata, ProblemHttpResult? Refusal)> LoadAsync(string? id, HttpRequest request, DurableTaskClient client, Access access, CancellationToken cancellationToken)
    {
        string[] roles = access switch
        {
            Access.Read => [ApprovalsRoles.Request, ApprovalsRoles.Audit, ApprovalsRoles.Admin],
            Access.Cancel => [ApprovalsRoles.Request, ApprovalsRoles.Admin],
            _ => [ApprovalsRoles.Request],
        };
        var (caller, refused) = await CallerAuthentication.AuthenticateAsync(request.HttpContext, roles);
        if (caller is null)
        {
            return (null, null, refused);
        }

        if (!ApprovalIds.IsValid(id))
        {
            return (caller, null, NotFound(id));
        }

        var metadata = await client.GetInstanceAsync(id!, getInputsAndOutputs: true, cancellationToken);
        var owner = metadata is null ? null : SafeRead(() => metadata.ReadInputAs<ApprovalInput>())?.RequestedBy;
        var own = caller.Is(owner) && caller.Has(ApprovalsRoles.Request);
        var readable = own || caller.Has(ApprovalsRoles.Audit) || caller.Has(ApprovalsRoles.Admin);
        if (metadata is null || !readable)
        {
            logger.LogDebug("Approval {InstanceId} asked for by {Caller}: not found or not theirs", id, caller.Email);
            return (caller, null, NotFound(id));
        }

        var allowed = access switch
        {
            Access.Read => readable,
            Access.Cancel => own || caller.Has(ApprovalsRoles.Admin),
            _ => own,
        };
        return allowed
            ? (caller, metadata, null)
            : (caller, null, Problem(StatusCodes.Status403Forbidden, "Not allowed", access == Access.Cancel
                ? "Only the requester or an Approvals.Admin can cancel this approval."
                : "Only the requester can receive this approval's temporary password."));
    }

    /// <summary>The public view of an instance: the workflow's own status while it runs, its typed outcome after.</summary>
    public static ApprovalView ToView(OrchestrationMetadata metadata, string? space = null)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var progress = SafeRead(() => metadata.ReadCustomStatusAs<ApprovalProgressStatus>());
        var result = metadata.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? SafeRead(() => metadata.ReadOutputAs<ApprovalResult>()) : null;
        var input = SafeRead(() => metadata.ReadInputAs<ApprovalInput>());
        var status = metadata.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Completed => result?.Status ?? ApprovalStatuses.Failed,
            OrchestrationRuntimeStatus.Failed => ApprovalStatuses.Failed,
            OrchestrationRuntimeStatus.Terminated => ApprovalStatuses.Cancelled,
            OrchestrationRuntimeStatus.Pending => ApprovalStatuses.Pending,
            _ => progress?.Status ?? ApprovalStatuses.Pending,
        };
        var reset = result?.Result;
        return new ApprovalView
        {
            Id = metadata.InstanceId,
            Status = status,
            Petition = result?.Petition ?? progress?.Petition,
            ElapsedSeconds = progress?.ElapsedSeconds ?? 0,
            DecidedBy = result?.DecidedBy ?? progress?.DecidedBy,
            CreatedAt = metadata.CreatedAt,
            UpdatedAt = metadata.LastUpdatedAt,
            Result = reset is not null ? new ApprovalResultView(reset.UserId, reset.CredentialReference, reset.ExpiresOn, reset.ForceChangeAtNextSignIn)
                : result?.Outcome is { CredentialReference: { } reference, ExpiresOn: { } expires } done ? new ApprovalResultView(input?.UserId ?? "", reference, expires, done.ForceChangeAtNextSignIn) : null,
            Detail = result?.Detail ?? progress?.Detail,
            PollCount = result?.PollCount ?? progress?.PollCount ?? 0,
            NextPollAt = status == ApprovalStatuses.AwaitingApproval ? progress?.NextPollAt : null,
            UserId = input?.UserId,
            Space = space,
            RequestedBy = input?.RequestedBy is { } by ? new RequesterView(by.Email, by.Name) : null,
            Kind = input?.Action,
            Access = input?.Access is { } asked ? AccessViewOf(asked, progress, result?.Access) : null,
            Target = input is { Access: null, Target: { } target } ? new TargetView(target.Id, target.DisplayName, target.SignInNames.Count > 0 ? target.SignInNames[0] : null) : null,
        };
    }

    static AccessView AccessViewOf(AccessRequest asked, ApprovalProgressStatus? progress, AccessOutcome? outcome) =>
        outcome is not null
            ? new AccessView(asked.ResourceId, asked.ResourceName, asked.DurationSeconds, outcome.ActiveUntil, outcome.GrantedAt, outcome.EndedAt, outcome.EndedBecause)
            : new AccessView(asked.ResourceId, asked.ResourceName, asked.DurationSeconds, progress?.ActiveUntil);

    static T? SafeRead<T>(Func<T?> read)
        where T : class
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    static ProblemHttpResult NotFound(string? id) =>
        Problem(StatusCodes.Status404NotFound, "Approval not found", ApprovalIds.IsValid(id) ? $"There is no approval {id}." : "That is not an approval id.");

    /// <summary><c>GET /api/health</c>: 200 when every required secret can be read, else 503 naming the missing ones.</summary>
    public static async Task<JsonHttpResult<HealthView>> HealthAsync(SecretsReadiness readiness, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(readiness);
        var missing = await readiness.MissingAsync(cancellationToken);
        return missing.Count == 0
            ? TypedResults.Json(new HealthView("ok"), ApiJsonContext.Default.HealthView)
            : TypedResults.Json(new HealthView("unconfigured", missing), ApiJsonContext.Default.HealthView, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>503 problem+json while a required secret is missing; <c>null</c> when ready.</summary>
    public static async Task<ProblemHttpResult?> NotReadyAsync(SecretsReadiness readiness, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(readiness);
        var missing = await readiness.MissingAsync(cancellationToken);
        return missing.Count == 0
            ? null
            : Problem(StatusCodes.Status503ServiceUnavailable, "Not configured yet", $"These settings cannot be read yet: {string.Join(", ", missing)}. See docs/DEPLOY.md, step 2.");
    }

    public static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}
