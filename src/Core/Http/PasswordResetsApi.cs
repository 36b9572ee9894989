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

/// <summary><c>POST /api/password-resets</c>.</summary>
public sealed partial class ApprovalsApi
{
    public async Task<Results<Accepted<StartedResponse>, ProblemHttpResult, ValidationProblem>> StartPasswordResetAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        using var span = Telemetry.ApprovalsTelemetry.Source.StartActivity("approvals.start");
        var (caller, body, key, refused) = await ReadValidStartAsync(request, ApiJsonContext.Default.PasswordResetBody, Validate, cancellationToken);
        if (caller is null || body is null)
        {
            return refused!;
        }

        // The reset is an action on the contract: its own route and body, then the start every action shares.
        var descriptor = Actions.PasswordReset.PasswordResetAction.Descriptor;
        var action = ActionCatalog.Resolve(request.HttpContext.RequestServices, descriptor.Name);
        return await StartValidatedAsync(descriptor, action, new ActionStart(caller, body.UserId!, TrimReason(body.Reason)!, body.DeadlineSeconds ?? options.DefaultDeadlineSeconds, ActionParameters.None, key), request, client, cancellationToken);
    }

    Dictionary<string, string[]> Validate(PasswordResetBody body)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ValidateUserId(body.UserId, errors);

        ValidateReason(body.Reason, Actions.PasswordReset.PasswordResetAction.Descriptor.ReasonHint!, errors);
        ValidateDeadline(body.DeadlineSeconds, errors);
        return errors;
    }
}
