using System.Text.RegularExpressions;
using Approvals.Core.Actions.GroupAccess;
using Approvals.Core.Identity;
using Approvals.Core.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Http;

/// <summary>Time-boxed access: <c>GET /api/resources</c> and <c>POST /api/access-requests</c>.</summary>
public sealed partial class ApprovalsApi
{
    public const int MaxResourceLength = GroupAccessAction.MaxResourceLength;

    /// <summary><c>GET /api/resources</c>: Indent's requestable resources that this deployment can grant (those mapped to
    /// a group in <c>APPROVALS_ACCESS_GROUPS</c>), and the durations one may ask for.</summary>
    public async Task<Results<JsonHttpResult<ResourcesView>, ProblemHttpResult>> ListResourcesAsync(HttpRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await NotReadyAsync(readiness, cancellationToken) is { } notReady)
        {
            return notReady;
        }

        var (caller, refused) = await CallerAuthentication.AuthenticateAsync(request.HttpContext, ApprovalsRoles.Request);
        if (caller is null)
        {
            return refused!;
        }

        var (resources, unavailable) = await RequestableAsync(cancellationToken);
        return resources is null
            ? unavailable!
            : TypedResults.Json(new ResourcesView(resources, access.MinSeconds, access.MaxSeconds, access.DefaultSeconds), ApiJsonContext.Default.ResourcesView);
    }

    /// <summary><c>POST /api/access-requests</c>: starts the generic <see cref="ActionOrchestrator"/> with the time-boxed
    /// access action (<see cref="GroupAccessAction"/>) for the caller (instances started before run on, and finish on,
    /// <see cref="AccessOrchestrator"/>). The resource must be requestable and mapped; bad input, an unknown resource,
    /// access the caller already holds or Indent being unreachable start nothing.</summary>
    public async Task<Results<Accepted<StartedResponse>, ProblemHttpResult, ValidationProblem>> StartAccessRequestAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        using var span = Telemetry.ApprovalsTelemetry.Source.StartActivity("approvals.start");
        var action = (GroupAccessAction)Actions.ActionCatalog.Resolve(request.HttpContext.RequestServices, WorkflowLabels.AccessAction);
        var (caller, body, key, refused) = await ReadValidStartAsync(request, ApiJsonContext.Default.AccessRequestBody, b => Validate(b, action), cancellationToken);
        if (caller is null || body is null)
        {
            return refused!;
        }

        var asked = body.Resource!.Trim();
        var reason = TrimReason(body.Reason)!;
        var duration = body.DurationSeconds ?? access.DefaultSeconds;
        var deadline = body.DeadlineSeconds ?? options.DefaultDeadlineSeconds;
        var requestHash = Hash($"{WorkflowLabels.AccessAction}\n{asked}\n{reason}\n{duration}\n{deadline}");
        var instanceId = key is null ? ApprovalIds.New(WorkflowLabels.AccessAction, Slug(asked)) : ApprovalIds.ForIdempotencyKey(WorkflowLabels.AccessAction, caller.Id, key);
        if (key is not null && await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken) is { } earlier)
        {
            return SameRequest(earlier, requestHash) ? Accepted(request, instanceId) : KeyReused();
        }

        var (resources, unavailable) = await RequestableAsync(cancellationToken);
        if (resources is null)
        {
            return unavailable!;
        }

        var resource = resources.FirstOrDefault(r => r.Id == asked) ?? resources.FirstOrDefault(r => string.Equals(r.DisplayName, asked, StringComparison.OrdinalIgnoreCase));
        if (resource is null)
        {
            var known = resources.Count == 0 ? "none is" : string.Join(", ", resources.Select(r => $"{r.DisplayName} ({r.Id})")) + (resources.Count == 1 ? " is" : " are");
            return Problem(StatusCodes.Status404NotFound, "Unknown resource", $"There is no requestable resource {asked} that this deployment can grant ({known}); nothing was started.");
        }

        var parameters = new Actions.ActionParameters(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [GroupAccessAction.ResourceField] = resource.Id,
            [GroupAccessAction.DurationField] = duration.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [GroupAccessAction.GroupParameter] = access.Groups[resource.Id],
            [GroupAccessAction.ResourceNameParameter] = resource.DisplayName,
        });
        var (standing, failed) = await WithinRequestBudgetAsync(token => action.CheckTargetAsync(new Actions.DirectoryUser(caller.Id, caller.Name, null, caller.Email, true), parameters, token), cancellationToken);
        if (failed is not null)
        {
            logger.LogWarning("Membership check of {Requester} for {Resource} failed: {Error}", caller.Id, resource.Id, failed.Message);
            return Problem(StatusCodes.Status503ServiceUnavailable, "Directory unavailable", $"Whether you already are a member of group {access.Groups[resource.Id]} could not be checked just now ({ApprovalOrchestrator.Shorten(failed.Message)}); nothing was started. Try again shortly.");
        }

        if (standing is not null)
        {
            return Problem(standing.Status, standing.Title, standing.Detail);
        }

        var input = new ApprovalInput(WorkflowLabels.AccessAction, caller.Id, reason, deadline, options.PollInitialSeconds, options.PollMaxSeconds, requestHash, timeProvider.GetUtcNow(),
            RequestedBy: caller.AsRequester(), Access: new AccessRequest(resource.Id, resource.Kind, resource.DisplayName, access.Groups[resource.Id], duration), Parameters: parameters);
        if (await StartOnceAsync(client, nameof(ActionOrchestrator), input, instanceId, key is not null, cancellationToken) is { } conflict)
        {
            return conflict;
        }

        logger.LogInformation("Access {InstanceId} to {Resource} for {Seconds} s asked for by {Requester}", instanceId, resource.Id, duration, caller.Email);
        return Accepted(request, instanceId);
    }

    /// <summary>Indent's requestable resources that have a group here, or the 503 when Indent cannot be read.</summary>
    async Task<(IReadOnlyList<RequestableResourceView>? Resources, ProblemHttpResult? Unavailable)> RequestableAsync(CancellationToken cancellationToken)
    {
        var found = new List<RequestableResourceView>();
        try
        {
            await foreach (var r in indent.ListResourcesAsync(view: "requestable", cancellationToken: cancellationToken))
            {
                if (r.Id is { } id && access.Groups.ContainsKey(id))
                {
                    found.Add(new RequestableResourceView(id, r.Kind ?? "resource", string.IsNullOrWhiteSpace(r.DisplayName) ? id : r.DisplayName));
                }
            }
        }
        catch (Exception e) when (e is Indent.IndentApiException or HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Requestable resources could not be read from Indent: {Error}", e.Message);
            return (null, Problem(StatusCodes.Status503ServiceUnavailable, "Indent unavailable", "The requestable resources could not be read from Indent just now; nothing was started. Try again shortly."));
        }

        return (found, null);
    }

    /// <summary>The body's checks: the action's own fields (<see cref="GroupAccessAction.Validate"/>), the reason and the deadline.</summary>
    Dictionary<string, string[]> Validate(AccessRequestBody body, GroupAccessAction action)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body.Resource is { } resource)
        {
            fields[GroupAccessAction.ResourceField] = resource;
        }

        if (body.DurationSeconds is { } seconds)
        {
            fields[GroupAccessAction.DurationField] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        action.Validate(new Actions.ActionParameters(fields), errors);
        ValidateReason(body.Reason, "say why you need the access", errors);
        ValidateDeadline(body.DeadlineSeconds, errors);
        return errors;
    }

    /// <summary>A readable piece of an instance id from a resource id or name (<c>access-production-…</c>).</summary>
    static string Slug(string text)
    {
        var slug = SlugPattern().Replace(text.ToLowerInvariant(), "-").Trim('-', '.', '_', '@');
        return slug.Length == 0 ? "resource" : slug[..Math.Min(slug.Length, 48)].TrimEnd('-', '.', '_', '@');
    }

    [GeneratedRegex("[^a-z0-9._@-]+", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex SlugPattern();
}
