using System.Text.Json;
using Approvals.Core.Http;
using Approvals.Core.Indent;
using Approvals.Core.Secrets;
using Approvals.Core.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Webhooks;

/// <summary><c>POST /api/webhooks/indent</c>: verify the signature over the raw body, then wake each event's workflow
/// with <see cref="ApprovalEvents.IndentDecision"/>. Verify before act: nothing is parsed before the signature holds.
/// The event only wakes the workflow; the workflow reads the petition back before it acts.</summary>
public sealed class IndentWebhookEndpoint(
    IndentWebhookVerifier verifier,
    ISecretProvider secrets,
    IndentClient indent,
    SecretsReadiness readiness,
    ILogger<IndentWebhookEndpoint> logger)
{
    public const string SecretSetting = "INDENT_WEBHOOK_SECRET";
    public const int MaxBodyBytes = 1024 * 1024;
    public const int MaxEventsPerDelivery = 100;

    /// <summary>Events that can end a wait. <c>access/approve</c> is not one: Indent follows it with <c>access/grant</c>
    /// when access is applied, and waking the workflow twice per approval would only cost a replay.</summary>
    static readonly HashSet<string> DecisionEvents = new(StringComparer.Ordinal)
    {
        IndentEventTypes.Deny, IndentEventTypes.Grant, IndentEventTypes.Revoke,
    };

    public async Task<IResult> HandleAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        if (await ApprovalsApi.NotReadyAsync(readiness, cancellationToken) is { } notReady)
        {
            // Not configured yet (a fresh deployment): 503, so Indent retries the delivery later.
            return notReady;
        }

        byte[] body;
        try
        {
            body = await RequestBody.ReadBytesAsync(request, MaxBodyBytes, cancellationToken);
        }
        catch (RequestBody.TooLargeException)
        {
            return Status(StatusCodes.Status413PayloadTooLarge, 3, "body too large");
        }

        var configured = await WebhookSecretsAsync(cancellationToken);
        var verification = verifier.Verify(
            body,
            request.Headers[IndentWebhookSignature.TimestampHeader].ToArray(),
            request.Headers[IndentWebhookSignature.SignatureHeader].ToArray(),
            configured);
        if (verification.Rejection == WebhookRejection.SignatureMismatch && secrets is KeyVaultSecretProvider vault
            && await vault.TryRefreshAsync(SecretSetting, cancellationToken))
        {
            // The secret was just rotated in Key Vault: check again with the new value. Re-reads are rate-limited, so
            // forged deliveries cannot turn into Key Vault reads.
            var refreshed = await WebhookSecretsAsync(cancellationToken);
            verification = verifier.Verify(body, request.Headers[IndentWebhookSignature.TimestampHeader].ToArray(), request.Headers[IndentWebhookSignature.SignatureHeader].ToArray(), refreshed);
        }

        if (!verification.IsValid)
        {
            logger.LogWarning("Indent webhook rejected: {Reason}", verification.Describe());
            Telemetry.ApprovalsTelemetry.WebhooksRefused.Add(1, new KeyValuePair<string, object?>("reason", verification.Rejection.ToString()));
            return Status(StatusCodes.Status401Unauthorized, 16, "invalid signature: " + verification.Describe());
        }

        WebhookPayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize(body, IndentJsonContext.Default.WebhookPayload);
        }
        catch (JsonException)
        {
            return Status(StatusCodes.Status400BadRequest, 3, "body is not a JSON webhook payload");
        }

        if (payload is null || (payload.Events is null && payload.Kinds is null && payload.Info is null))
        {
            return Status(StatusCodes.Status400BadRequest, 3, "expected {\"events\":[...]}");
        }

        if (payload.Events is { Count: > MaxEventsPerDelivery })
        {
            return Status(StatusCodes.Status400BadRequest, 3, $"at most {MaxEventsPerDelivery} events per delivery");
        }

        foreach (var e in payload.Events ?? [])
        {
            if (e?.EventType is not { } type || !DecisionEvents.Contains(type))
            {
                continue;
            }

            var petitionName = e.PetitionName;
            if (string.IsNullOrEmpty(petitionName) || petitionName.Length > 200)
            {
                logger.LogInformation("Indent {EventType} event without a petition label acknowledged and ignored", type);
                continue;
            }

            var instanceId = await FindInstanceAsync(e, petitionName, cancellationToken);
            if (instanceId is null)
            {
                logger.LogInformation("Indent {EventType} for petition {Petition} matches no approval; acknowledged", type, petitionName);
                continue;
            }

            // Raised without reading the instance first: the backend's client already reads it and drops an event for an
            // instance that is not running (the Functions host; the local engine does the same), so a read here was a
            // second storage read per decision. Where the host is set to say so, "not running" comes back as an error.
            var actor = e.Actor?.Email ?? e.Actor?.DisplayName ?? e.Actor?.Id;
            try
            {
                await client.RaiseEventAsync(instanceId, ApprovalEvents.IndentDecision, new IndentDecision(petitionName, type, e.Id, actor), cancellationToken);
            }
            catch (Grpc.Core.RpcException rpc) when (rpc.StatusCode is Grpc.Core.StatusCode.NotFound or Grpc.Core.StatusCode.FailedPrecondition)
            {
                logger.LogInformation("Indent {EventType} for petition {Petition}: approval {InstanceId} is not waiting; acknowledged", type, petitionName, instanceId);
                continue;
            }
            catch (Grpc.Core.RpcException rpc) when (rpc.StatusCode == Grpc.Core.StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                // Indent hung up (its delivery timed out): a cancellation, not a failure of ours; Indent delivers again.
                throw new OperationCanceledException("the webhook delivery was abandoned by its sender", rpc, cancellationToken);
            }

            logger.LogInformation("Indent {EventType} for petition {Petition} passed to approval {InstanceId}", type, petitionName, instanceId);
        }

        return Status(StatusCodes.Status200OK, null, null);
    }

    /// <summary>The instance id from the label we put on the petition's resource, else from the petition itself.</summary>
    async Task<string?> FindInstanceAsync(IndentEvent e, string petitionName, CancellationToken cancellationToken)
    {
        foreach (var resource in e.Resources ?? [])
        {
            if (resource?.Labels is { } labels && labels.TryGetValue(WorkflowLabels.Instance, out var id) && ApprovalIds.IsValid(id))
            {
                return id;
            }
        }

        try
        {
            var petition = await indent.GetPetitionAsync(petitionName, cancellationToken);
            return petition.Meta?.Labels is { } labels && labels.TryGetValue(WorkflowLabels.Instance, out var id) && ApprovalIds.IsValid(id) ? id : null;
        }
        catch (IndentApiException e2) when (e2.IsNotFound)
        {
            return null;
        }
    }

    ValueTask<IReadOnlyList<string>> WebhookSecretsAsync(CancellationToken cancellationToken) =>
        secrets.GetSecretListAsync(SecretSetting, cancellationToken);

    /// <summary>Indent's response convention: <c>{"status":{}}</c> on success, <c>{"status":{"code","message"}}</c> otherwise.</summary>
    static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<IndentStatusEnvelope> Status(int httpStatus, int? code, string? message) =>
        TypedResults.Json(new IndentStatusEnvelope { Status = new IndentStatus { Code = code, Message = message } }, IndentJsonContext.Default.IndentStatusEnvelope, statusCode: httpStatus);
}
