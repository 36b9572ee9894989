using Approvals.Core.Workflow;

namespace Approvals.Core.Actions.TemporaryAccessPass;

/// <summary>A Temporary Access Pass for a user, behind an approval: Microsoft's recommended way to let a locked-out user
/// sign in and register new methods (https://learn.microsoft.com/en-us/entra/identity/authentication/howto-authentication-temporary-access-pass).
/// Graph <c>POST /users/{id}/authentication/temporaryAccessPassMethods</c>, usable once, for the lifetime asked
/// (https://learn.microsoft.com/en-us/graph/api/authentication-post-temporaryaccesspassmethods). App-only it needs
/// <c>UserAuthMethod-TAP.ReadWrite.All</c> (least privileged; or <c>UserAuthenticationMethod.ReadWrite.All</c>) and a
/// directory role that may manage the user's authentication methods: Authentication Administrator for users without an
/// admin role, Privileged Authentication Administrator for any user (same page, "Permissions"; and
/// https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference#authentication-administrator).
/// The pass goes to the credential store and is revealed once to the requester through the credential route.</summary>
public sealed class TemporaryAccessPassAction(IHttpClientFactory clients, Azure.Core.TokenCredential credential, ICredentialStore store) : ISensitiveAction, IDescribedAction
{
    readonly TemporaryAccessPasses passes = new(clients, credential);

    public const string LifetimeField = "lifetimeMinutes";

    /// <summary>The bounds Graph allows any tenant policy to set (10 minutes to 30 days:
    /// https://learn.microsoft.com/en-us/graph/api/resources/temporaryaccesspassauthenticationmethodconfiguration,
    /// minimumLifetimeInMinutes and maximumLifetimeInMinutes); the tenant's own policy is narrower and Graph enforces it.</summary>
    public const int MinLifetime = 10, MaxLifetime = 43_200, DefaultLifetime = 60;

    public static ActionDescription Descriptor { get; } = new(
        Name: "temporary-access-pass",
        Verb: "tap",
        Title: "Temporary Access Pass",
        Summary: "Issue a one-time Temporary Access Pass for a user, revealed once to the requester.",
        Fields: [new ActionField(LifetimeField, "lifetime", $"minutes the pass is valid, {MinLifetime} to {MaxLifetime} (default {DefaultLifetime}); the tenant's policy may allow less")],
        Secret: "Temporary Access Pass",
        Implementation: typeof(TemporaryAccessPassAction));

    public void Validate(ActionParameters parameters, IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(errors);
        if (parameters.Number(LifetimeField) is { } minutes && minutes is < MinLifetime or > MaxLifetime)
        {
            errors[LifetimeField] = [$"{LifetimeField} must be from {MinLifetime} to {MaxLifetime} minutes."];
        }
    }

    /// <summary>A user can hold one pass (https://learn.microsoft.com/en-us/graph/api/authentication-list-temporaryaccesspassmethods:
    /// "a user can have only one Temporary Access Pass method"), and creating one deletes the one present (create page).
    /// So a user who already holds one is refused here, before anyone is asked: it is not ours to replace.</summary>
    public async Task<ActionRefusal?> CheckTargetAsync(DirectoryUser target, ActionParameters parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return await passes.HasPassAsync(target.Id, cancellationToken)
            ? new ActionRefusal(409, "Pass already present", $"User {target.Id} already has a Temporary Access Pass; a new one would delete it. Delete it first (or let it expire). Nothing was started.")
            : null;
    }

    /// <summary>Decides from the store first: a pass stored for this approval was created and is the outcome. Otherwise
    /// creates one; a pass an earlier attempt created but could not store is replaced by Graph itself (one pass per
    /// user), so the user ends with exactly the pass that is stored.</summary>
    public async Task<ActionOutcome> ActAsync(ActionRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (await store.GetAsync(run.CredentialName, cancellationToken) is { } stored)
        {
            return Outcome(run.UserId, stored);
        }

        var lifetime = run.Parameters.Number(LifetimeField) ?? DefaultLifetime;
        CreatedPass created;
        try
        {
            created = await passes.CreateAsync(run.UserId, lifetime, cancellationToken);
        }
        catch (GraphRefusedException e) when (e.StatusCode is System.Net.HttpStatusCode.BadRequest or System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.NotFound)
        {
            throw new PermanentActivityFailureException(e.StatusCode == System.Net.HttpStatusCode.Forbidden
                ? e.Message + " The app needs UserAuthMethod-TAP.ReadWrite.All and the Authentication Administrator role over this user (Privileged Authentication Administrator for an admin); docs/ACTIONS.md."
                : e.Message, e);
        }

        var kept = await store.AddAsync(run.CredentialName, created.Pass, created.ExpiresOn, new Dictionary<string, string>
        {
            ["user"] = run.UserId,
            ["approval"] = run.InstanceId,
            ["kind"] = "temporary-access-pass",
        }, cancellationToken);
        await store.MarkAppliedAsync(run.CredentialName, cancellationToken);
        return Outcome(run.UserId, kept);
    }

    static ActionOutcome Outcome(string userId, StoredCredential stored) =>
        new($"Temporary Access Pass issued for user:{userId}, usable once until {stored.ExpiresOn:u}", stored.Name, stored.Reference, stored.ExpiresOn);
}
